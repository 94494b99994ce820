package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user-supplied BERT-family encoder (here a tiny random BERT exported like HuggingFace's ONNX exporter does)
 * loads through the same path as MiniLM and computes what a textbook BERT computes.
 */
class SyntheticBertTest {
    private static final TinyBert TINY = new TinyBert(64, 24, 12, 2, 32, 7);
    private static final int[] IDS = {1, 17, 5, 42, 63, 0, 9, 2};

    private static BertEncoder tiny() {
        return BertEncoder.fromOnnx(TINY.onnx(), 0, BertEncoder.ENGINE, "tiny");
    }

    private static void assertClose(double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "component " + i);
        }
    }

    @Test
    void fromOnnx_exporterLayoutBothWeightForms_matchesReferenceBertAtEveryDepth() {
        try (BertEncoder e = tiny()) {
            assertEquals(24, e.hidden());
            assertEquals(2, e.layers());
            assertEquals(12, e.heads()); // the default rule for hidden sizes divisible by 12
            assertEquals(32, e.maxPositions());
            for (int d = 0; d <= 2; d++) {
                assertClose(TINY.embed(IDS, d), e.embed(IDS, d), 2e-4);
            }
            float[][] all = e.embedAllDepths(IDS);
            for (int d = 0; d <= 2; d++) {
                assertClose(TINY.embed(IDS, d), all[d], 2e-4);
            }
        }
    }

    @Test
    void embed_longerThanPositionTable_truncatedToTable() {
        int[] longIds = new int[50];
        for (int i = 0; i < longIds.length; i++) {
            longIds[i] = i % 64;
        }
        try (BertEncoder e = tiny()) {
            int[] head = java.util.Arrays.copyOf(longIds, 32);
            assertClose(TINY.embed(head, 2), e.embed(longIds, e.layers()), 2e-4);
        }
    }

    @Test
    void load_onnxFilePath_sameAsBytes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tiny.onnx");
        Files.write(f, TINY.onnx());
        try (BertEncoder e = BertEncoder.load(f.toString())) {
            assertEquals(f.toString(), e.source());
            assertClose(TINY.embed(IDS, 2), e.embed(IDS, e.layers()), 2e-4);
        }
    }

    @Test
    void fromOnnx_missingEngine_throwsMopeExceptionNamingEngine() {
        MopeException ex = assertThrows(MopeException.class,
                () -> BertEncoder.fromOnnx(TINY.onnx(), 0, "NoSuchEngine", "tiny"));
        assertTrue(ex.getMessage().contains("NoSuchEngine"), ex.getMessage());
    }

    @Test
    void fromOnnx_missingLayerWeight_throwsMopeExceptionNamingIt() {
        byte[] onnx = new String(TINY.onnx(), java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("encoder.layer.1.output.dense.bias", "encoder.layer.1.output.dense.bizz")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        MopeException ex = assertThrows(MopeException.class, () -> BertEncoder.fromOnnx(onnx, 0, BertEncoder.ENGINE, "tiny"));
        assertTrue(ex.getMessage().contains("encoder.layer.1.output.dense"), ex.getMessage());
    }

    @Test
    void erf_referenceImplementation_knownValues() {
        assertEquals(0.0, TinyBert.erf(0), 1e-12);
        assertEquals(0.8427007929, TinyBert.erf(1), 1e-8);
        assertEquals(-0.9953222650, TinyBert.erf(-2), 1e-6);
        assertEquals(0.9999779095, TinyBert.erf(3), 1e-6);
    }
}

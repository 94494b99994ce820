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

    /** A tiny BERT whose initializer {@code name} (full ONNX name) is replaced by {@code value}. */
    private static byte[] corrupt(String name, double[][] value) {
        TinyBert t = new TinyBert(64, 24, 12, 2, 32, 7);
        t.overrides.put(name, value);
        return t.onnx();
    }

    @Test
    void fromOnnx_weightOfWrongShape_throwsMopeExceptionNamingWeightAndFile() {
        // token types [1, 2] for hidden 24 (was an ArrayIndexOutOfBoundsException), a position table 20 wide (loaded
        // and read rows at the wrong offsets), a query bias and an intermediate weight of the wrong size (loaded,
        // failed in the engine at the first prediction)
        double[][] longBias = new double[1][20];
        Object[][] cases = {
            {"bert.embeddings.token_type_embeddings.weight", new double[1][2], "token_type_embeddings"},
            {"bert.embeddings.position_embeddings.weight", new double[32][20], "position_embeddings"},
            {"bert.encoder.layer.0.attention.self.query.bias", longBias, "encoder.layer.0.attention.self.query.bias"},
            {"bert.encoder.layer.1.intermediate.dense.weight", new double[96][20], "encoder.layer.1.intermediate.dense.weight"},
            {"bert.embeddings.LayerNorm.bias", new double[1][23], "embeddings.LayerNorm.bias"}};
        for (Object[] c : cases) {
            byte[] onnx = corrupt((String) c[0], (double[][]) c[1]);
            MopeException ex = assertThrows(MopeException.class, () -> BertEncoder.fromOnnx(onnx, 0, BertEncoder.ENGINE, "bad.onnx"),
                    (String) c[0]);
            assertTrue(ex.getMessage().contains((String) c[2]) && ex.getMessage().contains("bad.onnx"), ex.getMessage());
        }
    }

    @Test
    void fromOnnx_nonFiniteWeight_throwsMopeException() {
        double[][] pos = new double[32][24];
        pos[3][5] = Double.NaN;
        MopeException ex = assertThrows(MopeException.class,
                () -> BertEncoder.fromOnnx(corrupt("bert.embeddings.position_embeddings.weight", pos), 0, BertEncoder.ENGINE, "nan.onnx"));
        assertTrue(ex.getMessage().contains("position_embeddings") && ex.getMessage().contains("non-finite"), ex.getMessage());
    }

    @Test
    void load_corruptOnnxOverride_throwsMopeExceptionNamingFile(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        MopeModel.EncoderConfig ec = new MopeModel.EncoderConfig("minilm", 24, 2, 0, 32, null);
        tinyModel(ec).save(model);
        Path bad = dir.resolve("bad-types.onnx");
        Files.write(bad, corrupt("bert.embeddings.token_type_embeddings.weight", new double[1][2]));
        MopeException ex = assertThrows(MopeException.class, () -> Mope.load(model, bad.toString(), null, null));
        assertTrue(ex.getMessage().contains("bad-types.onnx"), ex.getMessage());
        Path good = dir.resolve("good.onnx");
        Files.write(good, TINY.onnx());
        try (Mope m = Mope.load(model, good.toString(), null, null)) {
            assertEquals(32, m.encoder().maxPositions());
        }
    }

    @Test
    void load_maxTokensBeyondPositionTable_throwsMopeException(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        tinyModel(new MopeModel.EncoderConfig("minilm", 24, 2, 0, 64, null)).save(model); // 64 tokens, 32 positions
        Path good = dir.resolve("good.onnx");
        Files.write(good, TINY.onnx());
        MopeException ex = assertThrows(MopeException.class, () -> Mope.load(model, good.toString(), null, null));
        assertTrue(ex.getMessage().contains("maxTokens") && ex.getMessage().contains("position"), ex.getMessage());
    }

    /** A constant-output MoPE model (as in MopeModelTest) for a 24-wide encoder. */
    private static MopeModel tinyModel(MopeModel.EncoderConfig ec) {
        int in = ec.hidden() + MopeModel.EXTRA_FEATURES;
        float[] std = new float[in];
        java.util.Arrays.fill(std, 1f);
        Mlp[] experts = {MopeModelTest.constant(in, Mlp.Loss.L1, 2), MopeModelTest.constant(in, Mlp.Loss.L1, 5)};
        return new MopeModel(ec, MopeModel.Routing.HARD, new int[] {20}, new float[in], std,
                MopeModelTest.constant(in, Mlp.Loss.CROSS_ENTROPY, 0, 0), experts, MopeModelTest.constant(in, Mlp.Loss.L1, 3), 10, null);
    }

    @Test
    void erf_referenceImplementation_knownValues() {
        assertEquals(0.0, TinyBert.erf(0), 1e-12);
        assertEquals(0.8427007929, TinyBert.erf(1), 1e-8);
        assertEquals(-0.9953222650, TinyBert.erf(-2), 1e-6);
        assertEquals(0.9999779095, TinyBert.erf(3), 1e-6);
    }
}

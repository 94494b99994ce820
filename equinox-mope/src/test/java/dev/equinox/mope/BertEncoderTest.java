package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BertEncoderTest {

    private static float[] embed(String s) {
        return SharedModels.encoder().embed(SharedModels.tokenizer().encode(s), SharedModels.encoder().layers());
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void miniLm_loadedFromJar_hasMiniLmShape() {
        BertEncoder e = SharedModels.encoder();
        assertEquals(384, e.hidden());
        assertEquals(6, e.layers());
        assertEquals(12, e.heads());
        assertEquals(512, e.maxPositions());
        assertEquals(384, embed("hello world").length);
    }

    @Test
    void embed_relatedVsUnrelatedSentences_pretrainedGeometry() {
        // With mis-mapped or untransposed weights every pair looks alike (or random); pretrained MiniLM separates them.
        float[] cat = embed("A cat is sitting on the mat.");
        float[] kitten = embed("A kitten rests on a rug.");
        float[] stocks = embed("The central bank raised interest rates again.");
        float[] rates = embed("Interest rates were increased by the Federal Reserve.");
        double related1 = cosine(cat, kitten);
        double related2 = cosine(stocks, rates);
        double unrelated = cosine(cat, stocks);
        assertTrue(related1 > 0.5, "cat/kitten " + related1);
        assertTrue(related2 > 0.6, "bank/fed " + related2);
        assertTrue(unrelated < 0.15, "cat/bank " + unrelated);
    }

    @Test
    void embed_sameInputTwice_identicalOutput() {
        assertArrayEquals(embed("Write a poem about the sea."), embed("Write a poem about the sea."));
    }

    @Test
    void embed_depthZeroJavaPath_matchesEngineLayerNorm() {
        int[] ids = SharedModels.tokenizer().encode("Summarise the plot of Hamlet in three sentences.");
        float[] java = SharedModels.encoder().embed(ids, 0);
        float[] engine = SharedModels.encoder().embedAllDepths(ids)[0];
        for (int i = 0; i < java.length; i++) {
            assertEquals(engine[i], java[i], 1e-5, "component " + i);
        }
    }

    @Test
    void embedAllDepths_lastRow_equalsFullEmbedding() {
        int[] ids = SharedModels.tokenizer().encode("The quick brown fox.");
        float[][] all = SharedModels.encoder().embedAllDepths(ids);
        assertEquals(7, all.length);
        assertArrayEquals(SharedModels.encoder().embed(ids, 6), all[6]);
    }

    @Test
    void embed_emptyIds_zeroVector() {
        for (int depth : new int[] {0, 6}) { // the plain-Java depth-0 path and the engine's
            float[] z = SharedModels.encoder().embed(new int[0], depth);
            assertEquals(384, z.length);
            for (float f : z) {
                assertEquals(0f, f);
            }
        }
    }

    @Test
    void embed_idOutsideVocabulary_throwsMopeException() {
        assertThrows(MopeException.class, () -> SharedModels.encoder().embed(new int[] {101, 999_999, 102}, 6));
        assertThrows(MopeException.class, () -> SharedModels.encoder().embed(new int[] {101, 999_999, 102}, 0));
    }

    @Test
    void defaultHeads_bertFamilySizes_standardHeadCounts() {
        assertEquals(12, BertEncoder.defaultHeads(384));
        assertEquals(12, BertEncoder.defaultHeads(768));
        assertEquals(16, BertEncoder.defaultHeads(1024));
        assertEquals(4, BertEncoder.defaultHeads(256));
    }
}

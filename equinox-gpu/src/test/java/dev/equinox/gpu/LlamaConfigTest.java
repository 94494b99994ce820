package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlamaConfigTest {

    @Test
    void llama2_7b_paramsAndKv_matchPublishedSizes() {
        LlamaConfig c = LlamaConfig.llama2_7b();
        assertEquals(128, c.headDim());
        // Llama-2-7B has 6.74 B parameters
        assertEquals(6_738_415_616L, c.params());
        // 0.5 MB of fp16 KV per token: 2 (k, v) x 32 layers x 4096 x 2 bytes
        assertEquals(524_288L, c.kvBytesPerToken());
        assertTrue(Math.abs(c.weightBytes() / 1e9 - 13.5) < 0.1, "about 13.5 GB of fp16 weights");
    }

    @Test
    void llama3_8b_params_matchPublishedSize() {
        // Llama-3-8B: 8.03 B parameters
        assertEquals(8_030_261_248L, LlamaConfig.llama3_8b().params());
    }

    @Test
    void preset_knownAndUnknownNames_resolveOrThrowListingNames() {
        assertEquals("tiny", LlamaConfig.preset("TINY").name());
        assertEquals("llama-2-7b", LlamaConfig.preset("llama2-7b").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.preset("gpt-5"));
        assertTrue(e.getMessage().contains("llama-2-7b"));
    }

    @Test
    void constructor_unsupportedShapes_throwNamingTheConstraint() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig("x", 1, 96, 6, 6, 64, 10, 1e4f, 1e-5f, 1)).getMessage().contains("head dim"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig("x", 1, 128, 4, 3, 64, 10, 1e4f, 1e-5f, 1)).getMessage().contains("kvHeads"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig("x", 1, 128, 4, 2, 60, 10, 1e4f, 1e-5f, 1)).getMessage().contains("multiples of 8"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig("x", 0, 128, 4, 2, 64, 10, 1e4f, 1e-5f, 1)).getMessage().contains("layers"));
    }

    @Test
    void weightInit_sameSeedAndIndex_isDeterministicAndBounded() {
        float a = WeightInit.uniform(42, 5, 123_456_789L);
        assertEquals(a, WeightInit.uniform(42, 5, 123_456_789L));
        assertTrue(a != WeightInit.uniform(43, 5, 123_456_789L));
        double sum = 0;
        for (int i = 0; i < 100_000; i++) {
            float u = WeightInit.uniform(42, 7, i);
            assertTrue(u >= -1f && u < 1f);
            sum += u;
        }
        assertTrue(Math.abs(sum / 100_000) < 0.01, "mean of uniform(-1, 1) near 0");
        short[] chunk = new short[10];
        WeightInit.fillHalf(chunk, 10, 42, 7, 1000, 0.5f, 0f);
        assertEquals(WeightInit.half(42, 7, 1005, 0.5f, 0f), chunk[5], "chunks are independent of where they start");
    }
}

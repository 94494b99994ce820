package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LaunchGridTest {

    @Test
    void gemm_largePrefillShape_uses128TilesCoveringTheMatrix() {
        // prefill of 2048 tokens through Llama-2-7B's fused qkv (N = 12288, K = 4096) on 132 SMs
        LaunchGrid.Launch l = LaunchGrid.gemm(2048, 12_288, 4096, 132, false);
        assertEquals("gemm_f16_128x128", l.kernel);
        assertEquals(96, l.gridX);
        assertEquals(16, l.gridY);
        assertEquals(256, l.blockX);
    }

    @Test
    void gemm_decodeShape_usesSmallTilesForParallelism() {
        // batch-64 decode through the 4096 x 4096 output projection: 32 big tiles < 2 x 108 SMs
        LaunchGrid.Launch l = LaunchGrid.gemm(64, 4096, 4096, 108, true);
        assertEquals("gemm_bf16_64x64", l.kernel);
        assertEquals(64, l.gridX);
        assertEquals(1, l.gridY);
        assertEquals(128, l.blockX);
    }

    @Test
    void gemm_decodeResidualAdd_splitsKToFillTheGpu() {
        // batch-64 decode through Wo (4096 x 4096) added into the residual on 108 SMs: 64 tiles -> 4-way split-K
        LaunchGrid.Launch l = LaunchGrid.gemm(64, 4096, 4096, 108, false, true);
        assertEquals("gemm_f16_64x64", l.kernel);
        assertEquals(64, l.gridX);
        assertEquals(1, l.gridY);
        assertEquals(4, l.gridZ, "ceil(2 x 108 / 64)");
        // the down projection (K = 11008 -> 344 K tiles) on 132 SMs: ceil(264 / 64) = 5
        assertEquals(5, LaunchGrid.gemm(64, 4096, 11_008, 132, false, true).gridZ);
        // a store never splits, and a short K is not split below 4 tiles per block
        assertEquals(1, LaunchGrid.gemm(64, 4096, 4096, 108, false, false).gridZ);
        assertEquals(2, LaunchGrid.gemm(8, 64, 256, 108, false, true).gridZ, "8 K tiles / 4");
        assertEquals(1, LaunchGrid.gemm(8, 64, 96, 108, false, true).gridZ);
        // prefill shapes already fill the GPU
        assertEquals(1, LaunchGrid.gemm(2048, 4096, 4096, 108, false, true).gridZ);
    }

    @Test
    void gemm_raggedEdges_roundUp() {
        LaunchGrid.Launch l = LaunchGrid.gemm(65, 130, 8, 1, false);
        assertEquals("gemm_f16_128x128", l.kernel); // 1 x 2 tiles >= 2 blocks for 1 SM
        assertEquals(2, l.gridX);
        assertEquals(1, l.gridY);
    }

    @Test
    void gemm_kNotMultipleOf8_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> LaunchGrid.gemm(16, 16, 12, 108, false));
        assertThrows(IllegalArgumentException.class, () -> LaunchGrid.gemm(0, 16, 16, 108, false));
    }

    @Test
    void attention_grids_coverEveryTokenAndHead() {
        LaunchGrid.Launch d = LaunchGrid.attentionDecode(64, 32, false);
        assertEquals("paged_attention_decode_f16", d.kernel);
        LaunchGrid.Launch dt = LaunchGrid.attentionDecode(64, 32, true);
        assertEquals("paged_attention_decode_tiled_f16", dt.kernel);
        assertEquals(64, dt.gridX);
        assertEquals(32, dt.gridY);
        assertEquals(128, dt.blockX);
        assertEquals(64, d.gridX);
        assertEquals(32, d.gridY);
        assertEquals(128, d.blockX);
        LaunchGrid.Launch p = LaunchGrid.attentionPrefill(33, 32, false);
        assertEquals(3, p.gridX, "33 tokens at 16 per block");
        assertEquals(128, p.blockX);
        LaunchGrid.Launch w = LaunchGrid.attentionPrefill(33, 32, true);
        assertEquals("paged_attention_prefill_warp_f16", w.kernel);
        assertEquals(9, w.gridX, "33 tokens at one warp each, 4 per block");
        assertEquals(32, p.gridY);
    }

    @Test
    void rowKernels_configShapes_matchKernelIndexing() {
        LlamaConfig c = LlamaConfig.llama3_8b();
        LaunchGrid.Launch rope = LaunchGrid.rope(10, c);
        assertEquals(10, rope.gridX);
        assertEquals(32 + 8, rope.gridY);
        assertEquals(64, rope.blockX);
        assertEquals(1024, LaunchGrid.kvAppend(3, c).blockX);
        assertEquals(64, LaunchGrid.kvAppend(3, LlamaConfig.tiny()).blockX, "2 kv heads x 32");
        LaunchGrid.Launch silu = LaunchGrid.siluMul(4096, 14_336, 132);
        assertEquals(132 * 32, silu.gridX, "grid-stride loop capped at 32 blocks per SM");
        assertEquals(1, LaunchGrid.siluMul(1, 8, 132).gridX);
    }
}

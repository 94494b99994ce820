package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelOptionsTest {
    private static final String[] KEYS = {"equinox.gpu.kernels", "equinox.gpu.prefillKernel", "equinox.gpu.splitStore",
        "equinox.gpu.splitBlocksPerSm", "equinox.gpu.decodeKernel"};

    /** fromSystemProperties() with exactly these properties set (the others cleared), restoring them after. */
    private static KernelOptions with(Map<String, String> props) {
        String[] saved = new String[KEYS.length];
        for (int i = 0; i < KEYS.length; i++) {
            saved[i] = System.getProperty(KEYS[i]);
            System.clearProperty(KEYS[i]);
        }
        try {
            props.forEach(System::setProperty);
            return KernelOptions.fromSystemProperties();
        } finally {
            for (int i = 0; i < KEYS.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(KEYS[i]);
                } else {
                    System.setProperty(KEYS[i], saved[i]);
                }
            }
        }
    }

    @Test
    void fromSystemProperties_defaultIsTheTiledSet_andEachChoiceOverridesOneField() {
        assertEquals(KernelOptions.DEFAULT, with(Map.of()));
        assertEquals(new KernelOptions(true, false, 2, true), KernelOptions.DEFAULT);
        assertEquals(new KernelOptions(false, false, 2, false), KernelOptions.WARP_PREFILL);
        assertEquals(KernelOptions.WARP_PREFILL, with(Map.of("equinox.gpu.kernels", "warp")));
        assertEquals(new KernelOptions(false, false, 2, true), with(Map.of("equinox.gpu.prefillKernel", "warp")));
        assertEquals(new KernelOptions(false, true, 2, false), with(Map.of("equinox.gpu.kernels", "warp", "equinox.gpu.splitStore", "true")));
        assertEquals(new KernelOptions(true, false, 8, true), with(Map.of("equinox.gpu.splitBlocksPerSm", "8")));
        assertEquals(new KernelOptions(true, false, 2, false), with(Map.of("equinox.gpu.decodeKernel", "warp")));
        assertEquals(new KernelOptions(false, false, 2, true), with(Map.of("equinox.gpu.kernels", "warp", "equinox.gpu.decodeKernel", "tiled")));
    }

    @Test
    void fromSystemProperties_badValues_nameThePropertyAndValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.kernels", "fast"))).getMessage()
                .contains("equinox.gpu.kernels must be default or warp, got 'fast'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.prefillKernel", "flash"))).getMessage()
                .contains("got 'flash'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.splitStore", "yes"))).getMessage()
                .contains("got 'yes'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.splitBlocksPerSm", "x"))).getMessage()
                .contains("got 'x'"));
        assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.splitBlocksPerSm", "0")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> with(Map.of("equinox.gpu.decodeKernel", "flash"))).getMessage()
                .contains("equinox.gpu.decodeKernel must be tiled or warp, got 'flash'"));
    }

    @Test
    void splitBlocksPerSm_raisesTheSplitOfASkinnyGemm() {
        // Llama-2-7B fused QKV at batch 64 on 132 SMs: 192 blocks of 64x64
        assertEquals(2, LaunchGrid.gemm(64, 12288, 4096, 132, false, true, 2).gridZ);
        assertEquals(6, LaunchGrid.gemm(64, 12288, 4096, 132, false, true, 8).gridZ);
        assertEquals(1, LaunchGrid.gemm(64, 12288, 4096, 132, false, false, 8).gridZ, "a storing launch is never split by LaunchGrid");
    }
}

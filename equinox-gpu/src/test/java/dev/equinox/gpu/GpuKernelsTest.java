package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GpuKernelsTest {

    private static String ptxText(String arch, String module) {
        byte[] b = GpuKernels.ptx(arch, module);
        assertEquals(0, b[b.length - 1], "NUL-terminated for cuModuleLoadData");
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
    }

    /** The parameter kinds of an entry in PTX text: p (.u64), i (.u32/.s32), f (.f32); null when absent. */
    static String ptxSignature(String ptx, String kernel) {
        Matcher m = Pattern.compile("\\.entry\\s+" + Pattern.quote(kernel) + "\\s*\\(([^)]*)\\)", Pattern.DOTALL).matcher(ptx);
        if (!m.find()) {
            return null;
        }
        StringBuilder sig = new StringBuilder();
        Matcher p = Pattern.compile("\\.param\\s+\\.(u64|u32|s32|f32)").matcher(m.group(1));
        while (p.find()) {
            String t = p.group(1);
            sig.append(t.equals("u64") ? 'p' : t.equals("f32") ? 'f' : 'i');
        }
        return sig.toString();
    }

    @Test
    void signatures_everyKernelInBothArchs_matchCommittedPtx() {
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            StringBuilder all = new StringBuilder();
            for (String module : GpuKernels.MODULES) {
                String text = ptxText(arch, module);
                assertTrue(text.contains(".target " + arch), module + " is compiled for " + arch);
                all.append(text);
            }
            for (Map.Entry<String, String> k : GpuKernels.SIGNATURES.entrySet()) {
                assertEquals(k.getValue(), ptxSignature(all.toString(), k.getKey()), arch + " " + k.getKey());
            }
        }
    }

    @Test
    void launchGridKernels_allHaveSignatures() {
        LlamaConfig c = LlamaConfig.tiny();
        for (LaunchGrid.Launch l : new LaunchGrid.Launch[] {LaunchGrid.gemm(1, 8, 8, 1, false), LaunchGrid.gemm(512, 512, 8, 1, true),
                LaunchGrid.embedding(1), LaunchGrid.rmsnorm(1), LaunchGrid.rope(1, c), LaunchGrid.kvAppend(1, c),
                LaunchGrid.siluMul(1, 8, 1), LaunchGrid.argmax(1), LaunchGrid.attentionDecode(1, 1, false), LaunchGrid.attentionDecode(1, 1, true), LaunchGrid.attentionPrefill(1, 1, false),
                LaunchGrid.attentionPrefill(1, 1, true), LaunchGrid.toHalf(1, 1)}) {
            assertTrue(GpuKernels.SIGNATURES.containsKey(l.kernel), l.kernel);
        }
    }

    @Test
    void archFor_computeCapabilities_pickPtxTarget() {
        assertEquals("sm_80", GpuKernels.archFor(8, 0));
        assertEquals("sm_80", GpuKernels.archFor(8, 9));
        assertEquals("sm_90", GpuKernels.archFor(9, 0));
        assertEquals("sm_90", GpuKernels.archFor(10, 0), "newer GPUs JIT the sm_90 PTX");
        assertThrows(IllegalArgumentException.class, () -> GpuKernels.archFor(7, 5));
    }

    @Test
    void ptx_gemm_usesTensorCoresAndAsyncCopies() {
        String gemm = ptxText("sm_80", "gemm");
        assertTrue(gemm.contains("mma.sync") || gemm.contains("wmma.mma.sync"), "tensor-core MMA instructions");
        assertTrue(gemm.contains("cp.async"), "asynchronous global-to-shared copies");
        assertNotEquals(-1, gemm.indexOf("wmma.load.a.sync.aligned.row"));
        assertNotEquals(-1, gemm.indexOf("wmma.load.b.sync.aligned.col"));
    }

    @Test
    void ptxIsaVersion_shippedModules_areReadableForErrorMessages() {
        for (String module : GpuKernels.MODULES) {
            assertTrue(GpuKernels.ptxIsaVersion(GpuKernels.ptx("sm_90", module)).matches("\\d+\\.\\d+"));
        }
        assertEquals("?", GpuKernels.ptxIsaVersion("// nothing".getBytes(StandardCharsets.UTF_8)));
        assertTrue(GpuKernels.nvccVersion().contains("Build") || GpuKernels.nvccVersion().contains("cuda"), GpuKernels.nvccVersion());
    }
}

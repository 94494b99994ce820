package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class GpuProbeTest {

    @Test
    void probe_anyMachine_neverThrowsAndIsCached() {
        GpuProbe.Result r = GpuProbe.probe();
        assertSame(r, GpuProbe.probe());
        assertFalse(r.cudaReason().isBlank());
        assertFalse(r.nvmlReason().isBlank());
        assertTrue(r.describe().length() > 0);
    }

    @Test
    void require_noGpu_throwsWithTheProbeReason() {
        GpuProbe.Result r = GpuProbe.probe();
        assumeTrue(!r.cudaAvailable(), "this machine has a GPU");
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class, GpuProbe::require);
        assertEquals(r.cudaReason(), e.getMessage());
        assertEquals(-1, r.computeCapabilityMajor());
        assertEquals("", r.smName());
    }

    @Test
    void probe_gpuPresent_reportsAmpereOrNewerDevice() {
        GpuProbe.Result r = GpuProbe.probe();
        assumeTrue(r.cudaAvailable(), () -> "GPU test skipped: " + r.cudaReason());
        assertTrue(r.deviceCount() > 0);
        assertTrue(r.computeCapabilityMajor() >= 8);
        assertTrue(r.multiprocessors() > 0);
        assertTrue(r.totalMemoryBytes() > 0);
    }

    @Test
    void cString_nulTerminatedBuffer_stopsAtNul() {
        byte[] b = new byte[16];
        System.arraycopy("H100".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, 0, 4);
        assertEquals("H100", GpuProbe.cString(b));
    }

    @Test
    void nativeDetail_loaderMessages_extractTheCause() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nStack trace...\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory\n";
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory", GpuProbe.nativeDetail(jcuda));
        assertEquals("undefined symbol: cuCtxCreate_v2",
                GpuProbe.nativeDetail("x\njava.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: undefined symbol: cuCtxCreate_v2"));
        assertEquals(null, GpuProbe.nativeDetail("no details"));
        assertTrue(GpuProbe.describe(new UnsatisfiedLinkError(jcuda)).endsWith("cannot open shared object file: No such file or directory"));
    }
}

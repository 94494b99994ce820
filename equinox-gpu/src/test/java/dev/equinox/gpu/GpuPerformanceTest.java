package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The speed targets of docs/gpu.md, asserted on a GPU. Opt-in ({@code -Dequinox.gpu.perf=true}: they allocate
 * Llama-2-7B-sized weights) and skipped without a GPU. NOT YET RUN: no GPU was available when written, so no
 * speed figure has been measured.
 *
 * <ul>
 * <li>decode step at batch 64, context 512, Llama-2-7B shapes: bytes read (weights + KV) / device time >= 70 %
 * of the HBM bandwidth;</li>
 * <li>prefill GEMM (2048 tokens x fused qkv 12288 x 4096): >= 50 % of dense fp16 tensor-core peak.</li>
 * </ul>
 * Peaks come from {@code -Dequinox.gpu.peakGBs} / {@code -Dequinox.gpu.peakTflops}, else from the device name
 * (A100: 2039 GB/s, 312 TFLOP/s; H100 SXM: 3350 GB/s, 989 TFLOP/s).
 */
@Tag("gpu-perf")
class GpuPerformanceTest {

    private static void assumePerf() {
        GpuTestSupport.assumeGpu();
        assumeTrue(Boolean.getBoolean("equinox.gpu.perf"), "speed tests are opt-in: -Dequinox.gpu.perf=true");
    }

    private static double peak(String property, String name, double a100, double h100) {
        String v = System.getProperty(property);
        if (v != null) {
            return Double.parseDouble(v);
        }
        if (name.contains("A100")) {
            return a100;
        }
        if (name.contains("H100") || name.contains("H200")) {
            return h100;
        }
        assumeTrue(false, "unknown GPU '" + name + "': pass -D" + property);
        return 0;
    }

    @Test
    void decodeStep_batch64_readsWeightsAndKvAtSeventyPercentOfHbm() {
        assumePerf();
        GpuProbe.Result p = GpuProbe.probe();
        double peakBytes = peak("equinox.gpu.peakGBs", p.deviceName(), 2039, 3350) * 1e9;
        LlamaConfig c = LlamaConfig.llama2_7b();
        int ctx = 512;
        int seqs = 64;
        int bs = 16;
        int blocks = seqs * (ctx / bs + 2) + 8;
        try (Calibrator cal = new Calibrator(GpuExecutor.open(c, blocks, bs, 4096, 256, 4096, null), 4096, 256)) {
            Calibrator.Row r = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {seqs}, new int[] {ctx}, 3, 10)).get(0);
            double bytes = c.weightBytes() + (double) seqs * ctx * c.kvBytesPerToken();
            double fraction = bytes / (r.deviceMs() / 1e3) / peakBytes;
            System.out.printf("decode batch %d ctx %d: %.2f ms device, %.1f %% of HBM peak%n", seqs, ctx, r.deviceMs(), 100 * fraction);
            assertTrue(fraction >= 0.70, "decode reads at " + fraction + " of peak bandwidth");
        }
    }

    @Test
    void prefillGemm_2048Tokens_reachesHalfOfDenseFp16Peak() {
        assumePerf();
        try (GpuTestSupport g = GpuTestSupport.open()) {
            double peakFlops = peak("equinox.gpu.peakTflops", g.probe.deviceName(), 312, 989) * 1e12;
            int m = 2048;
            int n = 12_288;
            int k = 4096;
            CUdeviceptr a = new CUdeviceptr();
            CUdeviceptr w = new CUdeviceptr();
            CUdeviceptr out = new CUdeviceptr();
            JCudaDriver.cuMemAlloc(a, 2L * m * k);
            JCudaDriver.cuMemAlloc(w, 2L * n * k);
            JCudaDriver.cuMemAlloc(out, 2L * m * n);
            JCudaDriver.cuMemsetD8(a, (byte) 0x11, 2L * m * k);
            JCudaDriver.cuMemsetD8(w, (byte) 0x11, 2L * n * k);
            LaunchGrid.Launch l = LaunchGrid.gemm(m, n, k, g.probe.multiprocessors(), false);
            CUevent start = new CUevent();
            CUevent stop = new CUevent();
            JCudaDriver.cuEventCreate(start, 0);
            JCudaDriver.cuEventCreate(stop, 0);
            for (int i = 0; i < 3; i++) {
                g.kernels.launch(l, a, w, out, null, m, n, k, GpuKernels.STORE_HALF);
            }
            int reps = 20;
            JCudaDriver.cuEventRecord(start, null);
            for (int i = 0; i < reps; i++) {
                g.kernels.launch(l, a, w, out, null, m, n, k, GpuKernels.STORE_HALF);
            }
            JCudaDriver.cuEventRecord(stop, null);
            JCudaDriver.cuEventSynchronize(stop);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, stop);
            double flops = 2.0 * m * n * k * reps / (ms[0] / 1e3);
            System.out.printf("prefill GEMM %dx%dx%d (%s): %.1f TFLOP/s, %.1f %% of peak (%d SMs)%n", m, n, k, l.kernel,
                    flops / 1e12, 100 * flops / peakFlops, g.probe.multiprocessors());
            assertTrue(flops >= 0.5 * peakFlops, "GEMM at " + flops / peakFlops + " of peak");
        }
    }
}

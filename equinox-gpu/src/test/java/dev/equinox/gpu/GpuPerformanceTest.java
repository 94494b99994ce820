package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The speed targets of docs/gpu.md, asserted on a GPU. Opt-in ({@code -Dequinox.gpu.perf=true}: they allocate
 * Llama-2-7B-sized weights) and skipped without a GPU. NOT YET RUN: no GPU was available when written, so no
 * speed figure has been measured. The same measurements run from the bundle as {@code bin/equinox-gpu perf}.
 *
 * <ul>
 * <li>decode step at batch 64, context 512, Llama-2-7B shapes: bytes read (weights + KV) / device time >= 70 %
 * of the HBM bandwidth;</li>
 * <li>prefill GEMM (2048 tokens x fused qkv 12288 x 4096): >= 50 % of dense fp16 tensor-core peak.</li>
 * </ul>
 * Peaks come from {@code -Dequinox.gpu.peakGBs} / {@code -Dequinox.gpu.peakTflops}, else the datasheet values for
 * the device name.
 */
@Tag("gpu-perf")
class GpuPerformanceTest {

    private static double[] peaks() {
        GpuTestSupport.assumeGpu();
        assumeTrue(Boolean.getBoolean("equinox.gpu.perf"), "speed tests are opt-in: -Dequinox.gpu.perf=true");
        double[] p = GpuChecks.datasheetPeaks(GpuProbe.probe().deviceName());
        if (System.getProperty("equinox.gpu.peakGBs") != null) {
            p[0] = Double.parseDouble(System.getProperty("equinox.gpu.peakGBs")) * 1e9;
        }
        if (System.getProperty("equinox.gpu.peakTflops") != null) {
            p[1] = Double.parseDouble(System.getProperty("equinox.gpu.peakTflops")) * 1e12;
        }
        assumeTrue(!Double.isNaN(p[0]) && !Double.isNaN(p[1]), "unknown GPU: pass -Dequinox.gpu.peakGBs and -Dequinox.gpu.peakTflops");
        return p;
    }

    @Test
    void decodeStep_batch64_readsWeightsAndKvAtSeventyPercentOfHbm() {
        double peakBytes = peaks()[0];
        LlamaConfig c = LlamaConfig.llama2_7b();
        int seqs = 64;
        int ctx = 512;
        int bs = 16;
        int blocks = seqs * KvBlockManager.blocksFor(ctx + 16, bs) + 8;
        try (Calibrator cal = new Calibrator(GpuExecutor.open(c, blocks, bs, 256, seqs + 1, ctx + 64, null), 256, seqs + 1)) {
            Calibrator.Row r = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {seqs}, new int[] {ctx}, 3, 10)).get(0);
            double fraction = GpuChecks.decodeBytes(c, seqs, r.decodeContextTokens() / seqs) / (r.deviceMs() / 1e3) / peakBytes;
            System.out.printf("decode batch %d ctx %d: %.3f ms device, %.1f %% of HBM peak%n", seqs, ctx, r.deviceMs(), 100 * fraction);
            assertTrue(fraction >= 0.70, "decode reads at " + fraction + " of peak bandwidth");
        }
    }

    @Test
    void prefillGemm_2048Tokens_reachesHalfOfDenseFp16Peak() {
        double peakFlops = peaks()[1];
        double flops = GpuChecks.withKernels((k, p) -> GpuChecks.gemmFlops(k, p.multiprocessors(), 2048, 12_288, 4096, 20));
        System.out.printf("prefill GEMM 2048 x 12288 x 4096: %.1f TFLOP/s, %.1f %% of peak%n", flops / 1e12, 100 * flops / peakFlops);
        assertTrue(flops >= 0.5 * peakFlops, "GEMM at " + flops / peakFlops + " of peak");
    }
}

package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speed regression floors on a GPU, with the measured fraction printed next to the targets. Opt-in
 * ({@code -Dequinox.gpu.perf=true}: they allocate Llama-2-7B-sized weights) and skipped without a GPU. The same
 * measurements run from the bundle as {@code bin/equinox-gpu perf}.
 *
 * <p>Measured on one NVIDIA H100 80GB HBM3 on 2026-11-27 (docs/gpu.md, "Speed targets: missed" and "Second run";
 * docs/performance.md section 4): both targets were missed, so these tests assert floors a little below the
 * measured values, to catch regressions, not the targets:
 * <ul>
 * <li>decode step at batch 64, context 512, Llama-2-7B shapes: bytes read (weights + KV) / device time measured
 * at 41.5-42.0 % of the HBM bandwidth with the first decode attention and 46.3 % with the lane-per-key one
 * (target 70 %); floor {@value #DECODE_HBM_FLOOR};</li>
 * <li>prefill GEMM (2048 tokens x fused qkv 12288 x 4096): measured at 23.3-23.4 % of the dense fp16
 * tensor-core peak (target 50 %); floor {@value #GEMM_FP16_FLOOR}.</li>
 * </ul>
 * Peaks come from {@code -Dequinox.gpu.peakGBs} / {@code -Dequinox.gpu.peakTflops}, else the datasheet values for
 * the device name. A floor measured on an H100 says little about other GPUs.
 */
@Tag("gpu-perf")
class GpuPerformanceTest {
    /** Regression floor: H100 measured 0.415-0.463 of HBM bandwidth (docs/gpu.md). */
    static final double DECODE_HBM_FLOOR = 0.38;
    /** The target for the decode step, printed for comparison, not asserted (missed on the H100). */
    static final double DECODE_HBM_TARGET = 0.70;
    /** Regression floor: H100 measured 0.233-0.234 of the dense fp16 peak (docs/gpu.md). */
    static final double GEMM_FP16_FLOOR = 0.20;
    /** The target for the prefill GEMM, printed for comparison, not asserted (missed on the H100). */
    static final double GEMM_FP16_TARGET = 0.50;

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
    void decodeStep_batch64_readsWeightsAndKvAboveRegressionFloorOfHbm() {
        double peakBytes = peaks()[0];
        LlamaConfig c = LlamaConfig.llama2_7b();
        int seqs = 64;
        int ctx = 512;
        int bs = 16;
        int blocks = seqs * KvBlockManager.blocksFor(ctx + 16, bs) + 8;
        try (Calibrator cal = new Calibrator(GpuExecutor.open(c, blocks, bs, 256, seqs + 1, ctx + 64, null), 256, seqs + 1, ctx + 64)) {
            Calibrator.Row r = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {seqs}, new int[] {ctx}, 3, 10)).get(0);
            double fraction = GpuChecks.decodeBytes(c, seqs, r.decodeContextTokens() / seqs) / (r.deviceMs() / 1e3) / peakBytes;
            System.out.printf("decode batch %d ctx %d: %.3f ms device, %.1f %% of HBM peak (target %.0f %%, %s; regression floor %.0f %%)%n",
                    seqs, ctx, r.deviceMs(), 100 * fraction, 100 * DECODE_HBM_TARGET,
                    fraction >= DECODE_HBM_TARGET ? "met" : "missed", 100 * DECODE_HBM_FLOOR);
            assertTrue(fraction >= DECODE_HBM_FLOOR, "decode reads at " + fraction + " of peak bandwidth, below the regression floor "
                    + DECODE_HBM_FLOOR + " (H100 measured 0.415-0.463)");
        }
    }

    @Test
    void prefillGemm_2048Tokens_staysAboveRegressionFloorOfDenseFp16Peak() {
        double peakFlops = peaks()[1];
        double flops = GpuChecks.withKernels((k, p) -> GpuChecks.gemmFlops(k, p.multiprocessors(), 2048, 12_288, 4096, 20));
        double fraction = flops / peakFlops;
        System.out.printf("prefill GEMM 2048 x 12288 x 4096: %.1f TFLOP/s, %.1f %% of peak (target %.0f %%, %s; regression floor %.0f %%)%n",
                flops / 1e12, 100 * fraction, 100 * GEMM_FP16_TARGET, fraction >= GEMM_FP16_TARGET ? "met" : "missed",
                100 * GEMM_FP16_FLOOR);
        assertTrue(fraction >= GEMM_FP16_FLOOR, "GEMM at " + fraction + " of peak, below the regression floor "
                + GEMM_FP16_FLOOR + " (H100 measured 0.233-0.234)");
    }
}

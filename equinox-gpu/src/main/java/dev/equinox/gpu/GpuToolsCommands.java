package dev.equinox.gpu;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code selftest} and {@code perf} subcommands of {@link GpuMain}, for GPU hosts without Maven or JUnit. */
final class GpuToolsCommands {
    private GpuToolsCommands() {
    }

    /**
     * {@code selftest}: the tiny decoder on the GPU against the CPU reference, with the default and the warp-prefill
     * kernels ({@link KernelOptions}; exit 0 both pass, 1 a failure, 2 no GPU).
     */
    @Command(name = "selftest", mixinStandardHelpOptions = true,
            description = "Compare the GPU decoder with the pure-Java reference on the tiny model.")
    public static final class SelfTest implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--tolerance", defaultValue = "2e-2", description = "max relative logit error (default: ${DEFAULT-VALUE})")
        double tolerance;

        /** For picocli. */
        public SelfTest() {
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            GpuProbe.Result p = GpuProbe.probe();
            if (!p.cudaAvailable()) {
                spec.commandLine().getErr().println("selftest: GPU unavailable: " + p.cudaReason());
                return 2;
            }
            out.println("selftest on " + p.describe());
            boolean ok = true;
            for (KernelOptions o : new KernelOptions[] {KernelOptions.DEFAULT, KernelOptions.WARP_PREFILL}) {
                GpuChecks.ModelCheck m = GpuChecks.modelVsReference(LlamaConfig.tiny(), o);
                out.printf(Locale.ROOT, "tiny decoder vs CPU reference (%s): %d rows, max relative logit error %.3g, %d greedy-token "
                        + "mismatches: %s%n", o, m.rows(), m.maxRelativeLogitError(), m.tokenMismatches(), m.passed(tolerance) ? "pass" : "FAIL");
                ok &= m.passed(tolerance);
            }
            out.println(ok ? "selftest: PASS" : "selftest: FAIL");
            return ok ? 0 : 1;
        }
    }

    /**
     * {@code perf}: the speed targets of docs/gpu.md (exit 0 both met, 3 a target missed, 2 no GPU).
     */
    @Command(name = "perf", mixinStandardHelpOptions = true,
            description = "Measure decode HBM efficiency and prefill GEMM throughput against the targets.")
    public static final class Perf implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", defaultValue = "llama-2-7b")
        String model;

        @Option(names = "--decode-seqs", defaultValue = "64")
        int seqs;

        @Option(names = "--context", defaultValue = "512")
        int context;

        @Option(names = "--peak-gbs", description = "HBM peak in GB/s (default: datasheet value for the device)")
        Double peakGbs;

        @Option(names = "--peak-tflops", description = "dense fp16 peak in TFLOP/s (default: datasheet value)")
        Double peakTflops;

        /** For picocli. */
        public Perf() {
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            GpuProbe.Result p = GpuProbe.probe();
            if (!p.cudaAvailable()) {
                spec.commandLine().getErr().println("perf: GPU unavailable: " + p.cudaReason());
                return 2;
            }
            double[] sheet = GpuChecks.datasheetPeaks(p.deviceName());
            double peakBytes = peakGbs != null ? peakGbs * 1e9 : sheet[0];
            double peakFlops = peakTflops != null ? peakTflops * 1e12 : sheet[1];
            if (Double.isNaN(peakBytes) || Double.isNaN(peakFlops)) {
                spec.commandLine().getErr().println("perf: unknown device '" + p.deviceName() + "': pass --peak-gbs and --peak-tflops");
                return 1;
            }
            LlamaConfig c = LlamaConfig.preset(model);
            out.println("perf on " + p.describe() + ", " + c);
            int hid = c.hidden();
            double flops = GpuChecks.withKernels((k, probe) -> GpuChecks.gemmFlops(k, probe.multiprocessors(), 2048, c.qkvDim(), hid, 20));
            double gemmFraction = flops / peakFlops;
            out.printf(Locale.ROOT, "prefill GEMM 2048 x %d x %d: %.1f TFLOP/s = %.1f %% of %.0f TFLOP/s (target >= 50 %%)%n",
                    c.qkvDim(), hid, flops / 1e12, 100 * gemmFraction, peakFlops / 1e12);
            int bs = 16;
            int blocks = seqs * KvBlockManager.blocksFor(context + 16, bs) + 8;
            Calibrator.Row r;
            try (Calibrator cal = new Calibrator(GpuExecutor.open(c, blocks, bs, Math.max(seqs, 256), seqs + 1, context + 64, null),
                    Math.max(seqs, 256), seqs + 1)) {
                r = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {seqs}, new int[] {context}, 3, 10)).get(0);
            }
            double bytes = GpuChecks.decodeBytes(c, seqs, r.decodeContextTokens() / Math.max(1, seqs));
            double decodeFraction = bytes / (r.deviceMs() / 1e3) / peakBytes;
            out.printf(Locale.ROOT, "decode step, %d seqs x %d context: %.3f ms device (%.3f ms wall), %.1f GB read = %.1f %% of %.0f GB/s (target >= 70 %%)%n",
                    seqs, context, r.deviceMs(), r.stepMs(), bytes / 1e9, 100 * decodeFraction, peakBytes / 1e9);
            boolean ok = gemmFraction >= 0.5 && decodeFraction >= 0.7;
            out.println(ok ? "perf: both targets met" : "perf: target missed");
            return ok ? 0 : 3;
        }
    }
}

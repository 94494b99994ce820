package dev.equinox.gpu;

import java.io.PrintWriter;
import java.util.List;
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
     * {@code selftest}: the tiny decoders (head dim 32 and 128) on the GPU against the CPU reference, with the default
     * and the first-run kernels ({@link KernelOptions}; exit 0 all pass, 1 a failure, 2 no GPU).
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
        public Integer call() throws Exception {
            return Cli.guard(spec, this::selftest);
        }

        private int selftest() {
            Cli.positive("--tolerance", tolerance, false);
            PrintWriter out = spec.commandLine().getOut();
            GpuProbe.Result p = GpuProbe.probe();
            if (!p.cudaAvailable()) {
                spec.commandLine().getErr().println("selftest: GPU unavailable: " + p.cudaReason());
                return 2;
            }
            out.println("selftest on " + p.describe());
            boolean ok = true;
            for (LlamaConfig c : new LlamaConfig[] {LlamaConfig.tiny(), LlamaConfig.tinyHead128()}) {
                for (KernelOptions o : new KernelOptions[] {KernelOptions.DEFAULT, KernelOptions.WARP_PREFILL}) {
                    GpuChecks.ModelCheck m = GpuChecks.modelVsReference(c, o);
                    out.printf(Locale.ROOT, "%s decoder vs CPU reference (%s): %d rows, max relative logit error %.3g, %d greedy-token "
                            + "mismatches: %s%n", c.name(), o, m.rows(), m.maxRelativeLogitError(), m.tokenMismatches(),
                            m.passed(tolerance) ? "pass" : "FAIL");
                    ok &= m.passed(tolerance);
                }
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

        @Option(names = "--breakdown", description = "also time each GEMM of a decode step alone, at 1 and --decode-seqs rows")
        boolean breakdown;

        @Option(names = "--peak-gbs", description = "HBM peak in GB/s (default: datasheet value for the device)")
        Double peakGbs;

        @Option(names = "--peak-tflops", description = "dense fp16 peak in TFLOP/s (default: datasheet value)")
        Double peakTflops;

        /** For picocli. */
        public Perf() {
        }

        @Override
        public Integer call() throws Exception {
            return Cli.guard(spec, this::perf);
        }

        private int perf() {
            LlamaConfig c = Cli.option("--model", () -> LlamaConfig.preset(model));
            Cli.atLeast("--decode-seqs", seqs, 1);
            Cli.atLeast("--context", context, 1);
            if ((long) seqs * KvBlockManager.blocksFor((long) context + 16, 16) + 8 > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("--decode-seqs " + seqs + " x --context " + context + " needs more KV blocks than an int holds");
            }
            if (peakGbs != null) {
                Cli.positive("--peak-gbs", peakGbs, false);
            }
            if (peakTflops != null) {
                Cli.positive("--peak-tflops", peakTflops, false);
            }
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
                throw new IllegalArgumentException("unknown device '" + p.deviceName() + "': pass --peak-gbs and --peak-tflops");
            }
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
                    Math.max(seqs, 256), seqs + 1, context + 64)) {
                r = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {seqs}, new int[] {context}, 3, 10)).get(0);
            }
            double bytes = GpuChecks.decodeBytes(c, seqs, r.decodeContextTokens() / Math.max(1, seqs));
            double decodeFraction = bytes / (r.deviceMs() / 1e3) / peakBytes;
            out.printf(Locale.ROOT, "decode step, %d seqs x %d context: %.3f ms device (%.3f ms wall), %.1f GB read = %.1f %% of %.0f GB/s (target >= 70 %%)%n",
                    seqs, context, r.deviceMs(), r.stepMs(), bytes / 1e9, 100 * decodeFraction, peakBytes / 1e9);
            if (breakdown) {
                printBreakdown(out, c, r.deviceMs(), peakBytes);
            }
            boolean ok = gemmFraction >= 0.5 && decodeFraction >= 0.7;
            out.println(ok ? "perf: both targets met" : "perf: target missed");
            return ok ? 0 : 3;
        }

        /** Each decode GEMM alone: time per call and the weight bytes it streams per second, then the step's share. */
        private void printBreakdown(PrintWriter out, LlamaConfig c, double stepMs, double peakBytes) {
            List<GpuChecks.DecodeGemm> gemms = GpuChecks.decodeGemms(c);
            for (int rows : new int[] {1, seqs}) {
                double[] secs = GpuChecks.withKernels((k, probe) -> {
                    double[] t = new double[gemms.size()];
                    for (int i = 0; i < t.length; i++) {
                        t[i] = GpuChecks.gemmSeconds(k, probe.multiprocessors(), rows, gemms.get(i), 20);
                    }
                    return t;
                });
                double stepGemmMs = 0;
                for (int i = 0; i < secs.length; i++) {
                    GpuChecks.DecodeGemm g = gemms.get(i);
                    double weightPerCall = g.weightBytes() / (double) g.perStep();
                    stepGemmMs += secs[i] * g.perStep() * 1e3;
                    out.printf(Locale.ROOT, "  breakdown, %d rows: %-8s %5d x %5d  %8.1f us/call x %2d = %7.3f ms/step, weights at %6.1f GB/s = %4.1f %% of HBM%n",
                            rows, g.name(), g.n(), g.k(), secs[i] * 1e6, g.perStep(), secs[i] * g.perStep() * 1e3,
                            weightPerCall / secs[i] / 1e9, 100 * weightPerCall / secs[i] / peakBytes);
                }
                out.printf(Locale.ROOT, "  breakdown, %d rows: the GEMMs alone take %.3f ms per step%s%n", rows, stepGemmMs,
                        rows == seqs ? String.format(Locale.ROOT, " of the measured %.3f ms: %.3f ms left for attention and the small kernels",
                                stepMs, stepMs - stepGemmMs) : "");
            }
        }
    }
}

package dev.equinox.gpu;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Profiles the executor's step time over a grid of step shapes (prompt tokens prefilled in the step, decode
 * sequences, context length of each decode) and writes a CSV profile from which a cost model for the scheduler
 * ({@link dev.equinox.spi.EngineCostModel}) can be fitted:
 *
 * <pre>
 * # equinox-gpu calibration: gpu NVIDIA A100-SXM4-80GB sm_80 (PTX sm_80), llama-2-7b[...]
 * prefill_tokens,decode_seqs,decode_context_tokens,step_ms,device_ms,tokens,context_per_seq
 * 512,64,131104,41.250,40.870,576,2048
 * </pre>
 *
 * The first four columns are what {@code dev.equinox.cost.ProfileCostModel} reads ({@code CostModels.profile}):
 * {@code decode_context_tokens} is the sum over the step's decode sequences of their context lengths (the SPI's
 * {@code decodeContextTokens}), averaged over the timed steps (each timed step grows every context by one);
 * {@code context_per_seq} is the grid's nominal context per sequence. {@code step_ms} is the median wall time of
 * the step on the host (what the scheduler is told), {@code device_ms} the median CUDA-event time (NaN on the CPU
 * reference). The prefill of a row is one chunk from an empty context, as the profile model assumes. Each point runs {@code warmup} untimed steps, then
 * {@code repeats} timed ones; points that do not fit the KV cache or the step limits are skipped and reported.
 *
 * <p>{@link #forGpu} refuses with {@link GpuUnavailableException} on a machine without a GPU: a profile measured
 * elsewhere would be a lie. No GPU profile has been recorded yet (no GPU was available when this was written).
 */
public final class Calibrator implements AutoCloseable {
    private static final long ID_BASE = -1_000_000_000L;

    private final GpuExecutor executor;
    private final int maxTokens;
    private final int maxSeqs;
    private final int maxContext;
    private final List<String> skipped = new ArrayList<>();

    /** @param maxContext the executor's context limit: points whose sequences would exceed it are skipped */
    Calibrator(GpuExecutor executor, int maxTokens, int maxSeqs, int maxContext) {
        this.executor = Objects.requireNonNull(executor, "executor");
        this.maxTokens = maxTokens;
        this.maxSeqs = maxSeqs;
        this.maxContext = maxContext;
    }

    /**
     * A calibrator on GPU 0 (see {@link GpuExecutor#open} for the parameters).
     *
     * @throws GpuUnavailableException "calibration needs a GPU: ..." when none is usable
     */
    public static Calibrator forGpu(LlamaConfig config, int kvBlocks, int blockSize, int maxTokens, int maxSeqs, int maxContext) {
        GpuProbe.Result probe = GpuProbe.probe();
        if (!probe.cudaAvailable()) {
            throw new GpuUnavailableException("calibration needs a GPU: " + probe.cudaReason());
        }
        return new Calibrator(GpuExecutor.open(config, kvBlocks, blockSize, maxTokens, maxSeqs, maxContext, NvmlTelemetry.open(0)),
                maxTokens, maxSeqs, maxContext);
    }

    /**
     * A calibrator over the CPU reference (small models; for smoke tests only: its times are not a GPU profile);
     * points beyond {@code maxContext} are skipped as on the GPU.
     *
     * @throws IllegalArgumentException when the model or KV cache is too large for the CPU reference
     */
    public static Calibrator forCpuReference(LlamaConfig config, int kvBlocks, int blockSize, int maxTokens, int maxSeqs, int maxContext) {
        return new Calibrator(GpuExecutor.cpuReference(config, kvBlocks, blockSize), maxTokens, maxSeqs, maxContext);
    }

    /** {@link #forCpuReference(LlamaConfig, int, int, int, int, int)} without a context limit. */
    public static Calibrator forCpuReference(LlamaConfig config, int kvBlocks, int blockSize, int maxTokens, int maxSeqs) {
        return forCpuReference(config, kvBlocks, blockSize, maxTokens, maxSeqs, Integer.MAX_VALUE);
    }

    /** The grid: every combination of the three lists; (0 prefill, 0 decode) points are skipped. */
    public record Grid(int[] prefillTokens, int[] decodeSeqs, int[] decodeContextTokens, int warmup, int repeats) {
        public Grid {
            prefillTokens = prefillTokens.clone();
            decodeSeqs = decodeSeqs.clone();
            decodeContextTokens = decodeContextTokens.clone();
            if (warmup < 0 || repeats < 1) {
                throw new IllegalArgumentException("warmup must be >= 0 and repeats >= 1, got " + warmup + ", " + repeats);
            }
            for (int[] a : new int[][] {prefillTokens, decodeSeqs}) {
                for (int v : a) {
                    if (v < 0) {
                        throw new IllegalArgumentException("grid values must be >= 0, got " + v);
                    }
                }
            }
            for (int v : decodeContextTokens) {
                if (v < 1) {
                    throw new IllegalArgumentException("decode context must be >= 1, got " + v);
                }
            }
        }

        /** Prefill 0-4096, decode batch 0-256, context 128-4096; 2 warmup and 5 timed steps per point. */
        public static Grid standard() {
            return new Grid(new int[] {0, 128, 512, 1024, 2048, 4096}, new int[] {0, 1, 8, 32, 64, 128, 256},
                    new int[] {128, 512, 2048, 4096}, 2, 5);
        }
    }

    /** One measured point. */
    public record Row(int prefillTokens, int decodeSeqs, long decodeContextTokens, double stepMs, double deviceMs, int tokens,
            int contextPerSeq) {
        String csv() {
            return String.format(Locale.ROOT, "%d,%d,%d,%.3f,%s,%d,%d", prefillTokens, decodeSeqs, decodeContextTokens, stepMs,
                    Double.isNaN(deviceMs) ? "NaN" : String.format(Locale.ROOT, "%.3f", deviceMs), tokens, contextPerSeq);
        }
    }

    public static final String CSV_HEADER = "prefill_tokens,decode_seqs,decode_context_tokens,step_ms,device_ms,tokens,context_per_seq";

    /** Measures every point of the grid that fits. */
    public List<Row> run(Grid grid) {
        List<Row> rows = new ArrayList<>();
        skipped.clear();
        for (int p : grid.prefillTokens()) {
            for (int d : grid.decodeSeqs()) {
                int[] contexts = d == 0 ? new int[] {grid.decodeContextTokens()[0]} : grid.decodeContextTokens();
                for (int ctx : contexts) {
                    if (p == 0 && d == 0) {
                        continue;
                    }
                    String why = fits(p, d, ctx, grid.warmup() + grid.repeats());
                    if (why != null) {
                        skipped.add(p + "," + d + "," + ctx + ": " + why);
                        continue;
                    }
                    rows.add(measure(p, d, d == 0 ? 0 : ctx, grid.warmup(), grid.repeats()));
                }
            }
        }
        return rows;
    }

    /** Points of the last {@link #run} that were skipped, with the reason. */
    public List<String> skipped() {
        return List.copyOf(skipped);
    }

    String fits(int p, int d, int ctx, int steps) {
        if ((long) p + d > maxTokens) {
            return ((long) p + d) + " tokens exceed the step limit " + maxTokens;
        }
        if (d + (p > 0 ? 1 : 0) > maxSeqs) {
            return "more sequences than " + maxSeqs;
        }
        // a decode's context grows by one per step, to ctx + steps - 1 in the last; a prefill's is p
        long context = Math.max(d > 0 ? (long) ctx + steps - 1 : 0, p);
        if (context > maxContext) {
            return "context " + context + " exceeds the executor's max context " + maxContext;
        }
        int bs = executor.kv().blockSize();
        long blocks = (long) d * KvBlockManager.blocksFor(ctx + steps, bs) + KvBlockManager.blocksFor(p + 1, bs);
        if (blocks > executor.kv().numBlocks()) {
            return blocks + " KV blocks needed, " + executor.kv().numBlocks() + " in the cache";
        }
        return null;
    }

    private Row measure(int p, int d, int ctx, int warmup, int repeats) {
        KvBlockManager kv = executor.kv();
        int vocab = executor.config().vocab();
        for (int s = 0; s < d; s++) {
            long id = ID_BASE + s;
            kv.getOrCreate(id, () -> GpuExecutor.syntheticPrompt(id, ctx, vocab));
            kv.ensureCapacity(kv.get(id), ctx - 1); // earlier context "computed" (contents irrelevant for timing)
        }
        double[] wall = new double[repeats];
        double[] dev = new double[repeats];
        long contextSum = 0;
        long prefillId = ID_BASE - 1;
        try {
            for (int k = 0; k < warmup + repeats; k++) {
                ScriptedStep step = new ScriptedStep();
                for (int s = 0; s < d; s++) {
                    Sequence q = kv.get(ID_BASE + s);
                    step.decode(q.id, q.length - 1);
                }
                if (p > 0) {
                    kv.release(prefillId);
                    long pid = prefillId;
                    kv.getOrCreate(pid, () -> GpuExecutor.syntheticPrompt(pid, p, vocab));
                    step.prefill(pid, 0, p, true);
                }
                StepResult r = executor.run(step);
                if (k >= warmup) {
                    contextSum += plan().decodeContextTokens;
                    wall[k - warmup] = r.durationNanos() / 1e6;
                    dev[k - warmup] = r.deviceNanos() < 0 ? Double.NaN : r.deviceNanos() / 1e6;
                }
            }
        } finally {
            for (int s = 0; s < d; s++) {
                kv.release(ID_BASE + s);
            }
            kv.release(prefillId);
        }
        return new Row(p, d, Math.round((double) contextSum / repeats), median(wall), median(dev), p + d, ctx);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s); // NaN sorts last; all-NaN gives NaN
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private StepPlan plan() {
        return executor.lastPlan();
    }

    /** Writes the rows under {@link #CSV_HEADER}, after a {@code # comment} line when {@code comment} is not null. */
    public static void writeCsv(List<Row> rows, Path out, String comment) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            if (comment != null) {
                w.write("# " + comment.replace('\n', ' '));
                w.write('\n');
            }
            w.write(CSV_HEADER);
            w.write('\n');
            for (Row r : rows) {
                w.write(r.csv());
                w.write('\n');
            }
        }
    }

    /** "equinox-gpu calibration: backend, model" for the CSV's comment line. */
    public String describe() {
        return "equinox-gpu calibration: " + executor.backend() + ", " + executor.config();
    }

    /** Closes the executor (and its GPU context). */
    @Override
    public void close() {
        executor.close();
    }
}

package dev.equinox.gpu;

import dev.equinox.Batch;
import dev.equinox.RequestHandle;
import dev.equinox.RequestListener;
import dev.equinox.RequestResult;
import dev.equinox.RequestSpec;
import dev.equinox.spi.GpuTelemetry;
import java.util.Arrays;
import java.util.Objects;

/**
 * Runs the steps the scheduler forms on a Llama decoder: batched chunked prefill and batched decode in one
 * forward pass over a paged KV cache, greedy sampling, and the measurements the scheduler's step completion
 * needs.
 *
 * <pre>{@code
 * try (GpuExecutor gpu = GpuExecutor.open(LlamaConfig.llama2_7b(), 2048, 16, 2048, 256, 4096, NvmlTelemetry.open(0))) {
 *     Scheduler s = Equinox.builder().kvCache(2048, 16).tokenBudget(2048).maxRunning(256).build();
 *     s.addListener(gpu.listener());          // frees KV blocks on preemption and finish
 *     Batch b = s.nextBatch();
 *     StepResult r = gpu.execute(b);
 *     s.complete(b, r.durationNanos(), r.gpuUtilization());
 * }
 * }</pre>
 *
 * <p>The KV cache has the scheduler's geometry ({@code kvCache(blocks, tokensPerBlock)}), so the scheduler's
 * admission control is what keeps it from overflowing (with the default stall-free batching; the VTC-reference
 * batching mode accounts KV in tokens, so give the executor {@code maxRunning} extra blocks there). A request's prompt is its
 * {@link RequestSpec#promptTokenIds()} when given, else synthetic ids derived from the request id.
 *
 * <p>Backends: {@link #open} runs on the GPU (CUDA driver API through JCuda; throws
 * {@link GpuUnavailableException} without one); {@link #cpuReference} runs the same model in pure Java for small
 * shapes, which is how the host loop is tested without a GPU. Engine thread only.
 */
public final class GpuExecutor implements AutoCloseable {
    private final LlamaConfig config;
    private final ModelRunner runner;
    private final KvBlockManager kv;
    private final GpuTelemetry telemetry;
    private final StepPlan plan = new StepPlan();
    private final BatchEntries batchEntries = new BatchEntries();
    private int[] sampled = new int[16];
    private int[] entryToken = new int[16];
    private int lastEntries;

    GpuExecutor(LlamaConfig config, ModelRunner runner, int kvBlocks, int blockSize, GpuTelemetry telemetry) {
        this.config = Objects.requireNonNull(config, "config");
        this.runner = Objects.requireNonNull(runner, "runner");
        this.kv = new KvBlockManager(kvBlocks, blockSize);
        this.telemetry = telemetry != null ? telemetry : NvmlTelemetry.unavailable("no telemetry");
    }

    /**
     * An executor on GPU 0.
     *
     * @param kvBlocks         KV blocks, as in the scheduler's {@code kvCache}
     * @param blockSize        tokens per block, as in the scheduler's {@code kvCache}
     * @param maxTokensPerStep the scheduler's token budget
     * @param maxSeqsPerStep   the scheduler's max running sequences
     * @param maxContext       the scheduler's context limit (sizes the block tables)
     * @param telemetry        sampled after each step and closed with the executor; may be null
     * @throws GpuUnavailableException without a usable GPU or enough device memory
     */
    public static GpuExecutor open(LlamaConfig config, int kvBlocks, int blockSize, int maxTokensPerStep, int maxSeqsPerStep,
            int maxContext, GpuTelemetry telemetry) {
        GpuProbe.require();
        GpuModel model = new GpuModel(config, kvBlocks, blockSize, maxTokensPerStep, maxSeqsPerStep, maxContext,
                KernelOptions.fromSystemProperties());
        return new GpuExecutor(config, model, kvBlocks, blockSize, telemetry);
    }

    /**
     * An executor running the pure-Java reference model (small shapes only, such as {@link LlamaConfig#tiny()}):
     * for tests and for trying the host loop on a machine without a GPU. Its durations are CPU times.
     */
    public static GpuExecutor cpuReference(LlamaConfig config, int kvBlocks, int blockSize) {
        return new GpuExecutor(config, new CpuReference(config, kvBlocks, blockSize), kvBlocks, blockSize, null);
    }

    public LlamaConfig config() {
        return config;
    }

    /** "gpu NVIDIA ... sm_90 (PTX sm_90)" or "cpu-reference". */
    public String backend() {
        return runner.describe();
    }

    /** KV blocks in use. */
    public int usedKvBlocks() {
        return kv.usedBlocks();
    }

    /** Runs one step of the scheduler; valid until the batch is completed. */
    public StepResult execute(Batch batch) {
        for (int i = 0; i < batch.size(); i++) {
            long id = batch.requestId(i);
            if (kv.get(id) == null) {
                RequestHandle r = batch.request(i);
                kv.getOrCreate(id, () -> promptOf(r.id(), r.spec()));
            }
        }
        return run(batchEntries.of(batch));
    }

    /** Runs a step described without a scheduler (calibration, tests); every sequence must exist. */
    StepResult run(StepEntries step) {
        long t0 = System.nanoTime();
        try {
            plan.pack(step, kv);
            if (sampled.length < plan.samples) {
                sampled = new int[Math.max(plan.samples, sampled.length * 2)];
            }
            runner.forward(plan, sampled);
            if (entryToken.length < plan.entries) {
                entryToken = new int[Math.max(plan.entries, entryToken.length * 2)];
            }
            Arrays.fill(entryToken, 0, plan.entries, -1);
            for (int r = 0; r < plan.samples; r++) {
                int e = plan.sampleEntries[r];
                plan.sequences[e].append(sampled[r]);
                entryToken[e] = sampled[r];
            }
            lastEntries = plan.entries;
        } finally {
            plan.clear();
        }
        long wall = System.nanoTime() - t0;
        return new StepResult(wall, runner.lastDeviceNanos(), sampleUtilization(), plan.tokens, plan.samples);
    }

    /**
     * The telemetry's utilization, NaN when it is unavailable or throws: the step's tokens are already appended,
     * so a telemetry failure must not fail the step (the scheduler would recompute it, one token behind).
     */
    private double sampleUtilization() {
        try {
            return telemetry.available() ? telemetry.utilization() : Double.NaN;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The token entry {@code i} of the last step sampled, or -1 if it produced none. */
    public int sampledToken(int i) {
        if (i < 0 || i >= lastEntries) {
            throw new IndexOutOfBoundsException("entry " + i + " of a step of " + lastEntries);
        }
        return entryToken[i];
    }

    /** Output tokens generated so far for a live request (0 if unknown). */
    public int generatedTokens(long requestId) {
        Sequence s = kv.get(requestId);
        return s == null ? 0 : s.generated();
    }

    /** The output token ids generated so far for a live request (empty if unknown). */
    public int[] generatedTokenIds(long requestId) {
        Sequence s = kv.get(requestId);
        return s == null ? new int[0] : s.generatedTokens();
    }

    /** Frees a preempted request's KV blocks; its tokens are kept for the recompute. */
    public void onPreempted(long requestId) {
        kv.freeBlocks(requestId);
    }

    /** Forgets a finished, cancelled or failed request. */
    public void release(long requestId) {
        kv.release(requestId);
    }

    /**
     * After a step failed ({@link dev.equinox.Scheduler#fail}): its requests lose their KV memory, as the
     * scheduler assumes; the tokens sampled before stay.
     */
    public void onStepFailed(Batch batch) {
        for (int i = 0; i < batch.size(); i++) {
            kv.freeBlocks(batch.requestId(i));
        }
    }

    /** A listener to register with the scheduler: frees KV blocks on preemption and forgets finished requests. */
    public RequestListener listener() {
        return new RequestListener() {
            @Override
            public void onPreempted(RequestHandle r) {
                GpuExecutor.this.onPreempted(r.id());
            }

            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                release(r.id());
            }
        };
    }

    /** The plan of the last step (its arrays are reused by the next step). */
    StepPlan lastPlan() {
        return plan;
    }

    KvBlockManager kv() {
        return kv;
    }

    /** The prompt of a request: its token ids, or synthetic ones that depend only on the request id. */
    int[] promptOf(long id, RequestSpec spec) {
        int[] ids = spec.promptTokenIds();
        if (ids != null) {
            for (int t : ids) {
                if (t < 0 || t >= config.vocab()) {
                    throw new IllegalArgumentException("request " + id + ": token id " + t + " outside vocab " + config.vocab());
                }
            }
            return ids;
        }
        return syntheticPrompt(id, spec.promptTokens(), config.vocab());
    }

    static int[] syntheticPrompt(long id, int n, int vocab) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = (int) Long.remainderUnsigned(WeightInit.mix(id * 0x9e3779b97f4a7c15L + i), vocab);
        }
        return p;
    }

    /** Closes the runner and the telemetry; the telemetry is closed even when the runner's close throws. */
    @Override
    public void close() {
        try {
            runner.close();
        } catch (RuntimeException e) {
            try {
                telemetry.close();
            } catch (RuntimeException t) {
                e.addSuppressed(t);
            }
            throw e;
        }
        telemetry.close();
    }
}

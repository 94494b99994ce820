package dev.equinox;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Predictor;
import dev.equinox.spi.SchedulingPolicy;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The front door: a strict builder for a {@link Scheduler}.
 *
 * <pre>{@code
 * Scheduler scheduler = Equinox.builder()
 *     .policy(Policies.equinox())          // holistic UFC/RFC fairness
 *     .kvCache(4096, 16)                   // blocks, tokens per block
 *     .tokenBudget(2048).maxRunning(256)
 *     .build();
 * }</pre>
 *
 * <p>Strictness, as in Caffeine: each setter may be called once ({@link IllegalStateException} on a second
 * call), a bad value throws {@link IllegalArgumentException} naming the setting and the value at once (and
 * leaves the setting unset), a null reference throws {@link NullPointerException} naming the setting, and
 * combinations are checked in {@link #build()}.
 *
 * <p>Defaults: policy FCFS; token budget 2048 per step; max running 256; KV cache 2048 blocks of 16 tokens;
 * prefill chunk 512 tokens; context limit 8192 tokens; KV margin 10 % of the predicted output; predictor VTC's
 * per-tenant moving average with fallback max-tokens; the VTC A10G linear cost model; system ticker; waiting
 * limit 65,536 in total and per tenant; tenants need no registration and are not limited in number; token
 * weights w_p = 1, w_q = 2; stall-free batching; adaptive batching as the policy prefers (on for Equinox, off
 * otherwise).
 */
public final class Equinox {
    static final int UNSET = -1;

    int tokenBudget = UNSET;
    int maxRunning = UNSET;
    int kvBlocks = UNSET;
    int blockSize = UNSET;
    int chunkSize = UNSET;
    int maxContext = UNSET;
    double kvMargin = Double.NaN;
    int maxWaiting = UNSET;
    int maxWaitingPerTenant = UNSET;
    double promptWeight = Double.NaN;
    double outputWeight = Double.NaN;
    Boolean requireRegistration;
    int maxTenants = UNSET;
    Boolean adaptive;
    double targetTpotSeconds = Double.NaN;
    SchedulingPolicy policy;
    Predictor predictor;
    Predictor fallbackPredictor;
    Executor predictionExecutor;
    EngineCostModel costModel;
    Ticker ticker;
    BatchingMode batchingMode;

    private Equinox() {
    }

    /** A new builder with every setting at its default. */
    public static Equinox builder() {
        return new Equinox();
    }

    /** Maximum tokens (decodes plus prefill tokens) per step; default 2048. */
    public Equinox tokenBudget(int tokens) {
        requireUnset("tokenBudget", tokenBudget == UNSET);
        tokenBudget = positive("tokenBudget", tokens);
        return this;
    }

    /** Maximum running sequences; default 256. */
    public Equinox maxRunning(int sequences) {
        requireUnset("maxRunning", maxRunning == UNSET);
        maxRunning = positive("maxRunning", sequences);
        return this;
    }

    /** KV cache capacity: {@code blocks} blocks of {@code tokensPerBlock} tokens; default 2048 x 16. */
    public Equinox kvCache(int blocks, int tokensPerBlock) {
        requireUnset("kvCache", kvBlocks == UNSET);
        positive("kvCache.blocks", blocks);
        positive("kvCache.tokensPerBlock", tokensPerBlock); // both checked before either is kept
        kvBlocks = blocks;
        blockSize = tokensPerBlock;
        return this;
    }

    /** Largest prefill chunk of one request in one step; default 512. */
    public Equinox chunkSize(int tokens) {
        requireUnset("chunkSize", chunkSize == UNSET);
        chunkSize = positive("chunkSize", tokens);
        return this;
    }

    /** Context limit: prompt plus max output tokens of a request; default 8192 or the KV capacity if smaller. */
    public Equinox maxContext(int tokens) {
        requireUnset("maxContext", maxContext == UNSET);
        maxContext = positive("maxContext", tokens);
        return this;
    }

    /** Extra KV reserved at admission, as a fraction of the predicted output; default 0.1. */
    public Equinox kvMargin(double fraction) {
        requireUnset("kvMargin", Double.isNaN(kvMargin));
        if (!(fraction >= 0) || fraction > 100) {
            throw new IllegalArgumentException("kvMargin must be in [0, 100], got " + fraction);
        }
        kvMargin = fraction;
        return this;
    }

    /** Waiting-request limits, in total and per tenant; default 65,536 each. */
    public Equinox queueLimits(int total, int perTenant) {
        requireUnset("queueLimits", maxWaiting == UNSET);
        positive("queueLimits.total", total);
        positive("queueLimits.perTenant", perTenant);
        maxWaiting = total;
        maxWaitingPerTenant = perTenant;
        return this;
    }

    /** Service-cost weights of a prompt token (w_p) and an output token (w_q); default 1 and 2, as VTC. */
    public Equinox tokenWeights(double promptTokenWeight, double outputTokenWeight) {
        requireUnset("tokenWeights", Double.isNaN(promptWeight));
        finitePositive("tokenWeights.prompt", promptTokenWeight);
        finitePositive("tokenWeights.output", outputTokenWeight);
        promptWeight = promptTokenWeight;
        outputWeight = outputTokenWeight;
        return this;
    }

    /** Whether submissions of unregistered tenants are rejected ({@link Rejection#UNKNOWN_TENANT}); default false. */
    public Equinox requireRegisteredTenants(boolean required) {
        requireUnset("requireRegisteredTenants", requireRegistration == null);
        requireRegistration = required;
        return this;
    }

    /**
     * The most tenants the scheduler keeps, registered or created by a first submission; default unlimited. A
     * scheduler keeps every tenant it has seen for its lifetime (about 340-450 bytes each with the bundled
     * policies, docs/performance.md), so where tenant ids come from users (one tenant per user or per API key)
     * this bounds that memory: a submission from a new tenant beyond the limit is rejected with
     * {@link Rejection#TENANT_LIMIT} and {@link Scheduler#registerTenant} of a new tenant throws
     * {@link IllegalStateException}; known tenants are not affected.
     */
    public Equinox maxTenants(int max) {
        requireUnset("maxTenants", maxTenants == UNSET);
        maxTenants = positive("maxTenants", max);
        return this;
    }

    /** The scheduling policy (an unbound instance from {@link Policies}); default FCFS. */
    public Equinox policy(SchedulingPolicy schedulingPolicy) {
        requireUnset("policy", policy == null);
        policy = Objects.requireNonNull(schedulingPolicy, "policy");
        return this;
    }

    /** The output-length predictor; default {@link Predictors#movingAverage()}. The scheduler closes it. */
    public Equinox predictor(Predictor p) {
        requireUnset("predictor", predictor == null);
        predictor = Objects.requireNonNull(p, "predictor");
        return this;
    }

    /**
     * The predictor used while the main one's prediction is not ready or failed; must not be blocking; default
     * {@link Predictors#maxTokens()}. The scheduler closes it with the main predictor.
     */
    public Equinox fallbackPredictor(Predictor p) {
        requireUnset("fallbackPredictor", fallbackPredictor == null);
        fallbackPredictor = Objects.requireNonNull(p, "fallbackPredictor");
        return this;
    }

    /**
     * Where blocking predictors run; default a single daemon thread owned by the scheduler (created only when the
     * predictor is blocking).
     */
    public Equinox predictionExecutor(Executor executor) {
        requireUnset("predictionExecutor", predictionExecutor == null);
        predictionExecutor = Objects.requireNonNull(executor, "predictionExecutor");
        return this;
    }

    /** The engine cost model; default {@link CostModels#vtcA10g()}. */
    public Equinox costModel(EngineCostModel model) {
        requireUnset("costModel", costModel == null);
        costModel = Objects.requireNonNull(model, "costModel");
        return this;
    }

    /** The time source; default {@link Ticker#system()}. */
    public Equinox ticker(Ticker t) {
        requireUnset("ticker", ticker == null);
        ticker = Objects.requireNonNull(t, "ticker");
        return this;
    }

    /** Step formation; default {@link BatchingMode#STALL_FREE}. */
    public Equinox batchingMode(BatchingMode mode) {
        requireUnset("batchingMode", batchingMode == null);
        batchingMode = Objects.requireNonNull(mode, "batchingMode");
        return this;
    }

    /**
     * Adaptive batching: every step, trim the token budget (never above the configured one, never below one chunk)
     * where a smaller prefill lets the modelled or measured step time meet {@code targetTimePerOutputTokenSeconds},
     * and grow it back while under the target or while GPU utilization is below 90 %; the running cap stays as
     * configured. Default: on for the Equinox policy with a 100 ms target (DistServe's chatbot TPOT objective), off
     * otherwise.
     */
    public Equinox adaptiveBatching(boolean enabled, double targetTimePerOutputTokenSeconds) {
        requireUnset("adaptiveBatching", adaptive == null);
        targetTpotSeconds = finitePositive("adaptiveBatching.targetTimePerOutputTokenSeconds", targetTimePerOutputTokenSeconds);
        adaptive = enabled;
        return this;
    }

    /**
     * Builds the scheduler.
     *
     * @throws IllegalArgumentException when settings conflict (named with their values)
     */
    public Scheduler build() {
        int budget = or(tokenBudget, 2048);
        int running = or(maxRunning, 256);
        int blocks = or(kvBlocks, 2048);
        int bs = or(blockSize, 16);
        int chunk = or(chunkSize, Math.min(512, budget));
        if ((long) blocks * bs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("kvCache of " + blocks + " blocks x " + bs + " tokens overflows");
        }
        int kvTokens = blocks * bs;
        int context = maxContext == UNSET ? Math.min(8192, kvTokens) : maxContext;
        if (context > kvTokens) {
            throw new IllegalArgumentException("maxContext (" + context + " tokens) exceeds the KV cache capacity ("
                    + kvTokens + " tokens): a request at the context limit could never run alone");
        }
        if (chunk > budget) {
            throw new IllegalArgumentException("chunkSize (" + chunk + ") must not exceed tokenBudget (" + budget + ")");
        }
        if (running > budget && batchingMode != BatchingMode.VTC_REFERENCE) {
            throw new IllegalArgumentException("maxRunning (" + running + ") exceeds tokenBudget (" + budget
                    + "): every running decode needs one token of the step's budget");
        }
        int total = or(maxWaiting, 65_536);
        int perTenant = or(maxWaitingPerTenant, total);
        if (perTenant > total) {
            throw new IllegalArgumentException("queueLimits.perTenant (" + perTenant + ") exceeds queueLimits.total (" + total + ")");
        }
        if (fallbackPredictor != null && fallbackPredictor.isBlocking()) {
            throw new IllegalArgumentException("fallbackPredictor '" + fallbackPredictor.name() + "' is blocking; the fallback must answer at once");
        }
        return new DefaultScheduler(this, budget, running, blocks, bs, chunk, context, total, perTenant);
    }

    static int or(int v, int dflt) {
        return v == UNSET ? dflt : v;
    }

    private static void requireUnset(String name, boolean unset) {
        if (!unset) {
            throw new IllegalStateException(name + " was already set");
        }
    }

    private static int positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
        return v;
    }

    private static double finitePositive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number > 0, got " + v);
        }
        return v;
    }
}

package dev.equinox.micrometer;

import dev.equinox.FinishReason;
import dev.equinox.RequestStatus;
import dev.equinox.Scheduler;
import dev.equinox.SchedulerStats;
import dev.equinox.TenantStats;
import dev.equinox.Ticker;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessSnapshot;
import dev.equinox.metrics.FairnessTracker;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a {@link Scheduler}'s metrics to Micrometer, named after vLLM's under {@code equinox.} (Prometheus:
 * {@code equinox.time.to.first.token} becomes {@code equinox_time_to_first_token_seconds}). The full list, with
 * types, units and tags, is in {@code docs/metrics.md}.
 *
 * <pre>{@code
 * Scheduler raw = Equinox.builder().policy(Policies.equinox()).build();
 * EquinoxMetrics metrics = EquinoxMetrics.builder(raw).tenantTags(20).build();
 * metrics.bindTo(registry);
 * Scheduler scheduler = metrics.scheduler();   // submit and step through this one
 * }</pre>
 *
 * <h2>Design</h2>
 * <ul>
 * <li><b>Pull, not push.</b> Counts (waiting, running, KV usage, preemptions, tokens) and fairness (per-tenant
 * counters and service, service difference, Jain) are {@link Gauge}s and {@link FunctionCounter}s that read
 * {@link Scheduler#stats()}, {@link Scheduler#tenantStats} and the {@link FairnessTracker} at scrape time: the
 * engine thread does no metrics work for them.</li>
 * <li><b>Distributions</b> (latencies, per-step tokens) are recorded by a {@link dev.equinox.RequestListener} into
 * {@link Timer}s and {@link DistributionSummary}s created once in {@link #bindTo}; per-token inter-token latency
 * keeps each running request's last token time in a primitive open-addressing map, so a step costs O(batch) and
 * allocates nothing in steady state.</li>
 * <li><b>{@code nextBatch} duration and demand need the call path</b>, which a listener does not see:
 * {@link #scheduler()} returns a decorator that times {@code nextBatch()} (wall clock) and reports accepted
 * submissions to the tracker. A scheduler used without the decorator pays nothing for this; then
 * {@code equinox.next.batch.duration} stays empty, demand stays 0 and Jain's index is NaN.</li>
 * <li><b>Tenant tags are opt-in and capped</b> ({@link Builder#tenantTags}): tenant ids are user input, so only
 * the first {@code max} tenants the scheduler created (its dense tenant index below {@code max}) get their own
 * {@code tenant} tag. Later tenants are <em>folded</em> into {@code tenant="other"} for the additive meters
 * (service, service and demand rates), and <em>dropped</em> for the policy counters, which do not add up. A
 * tenant's fold never changes, so its counters stay monotone.</li>
 * </ul>
 *
 * <p>Threading: {@link #bindTo} once, from any thread; the listener runs on the engine thread; meters are read by
 * the registry's scrape threads.
 */
public final class EquinoxMetrics implements MeterBinder {
    /** Tag keys the binder sets on its own meters; common tags may not use them. */
    static final java.util.List<String> RESERVED_TAG_KEYS = java.util.List.of("tenant", "counter", "finished_reason");

    /** The tag value that tenants beyond the tag cap fold into. */
    public static final String OTHER_TENANT = "other";

    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
        1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
        2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    private static final double[] REQUEST_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
        40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    private static final double[] STEP_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0};
    private static final double[] NEXT_BATCH_BUCKETS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
        0.0025, 0.005, 0.01, 0.025, 0.05, 0.1};
    private static final double[] TOKEN_BUCKETS = {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};

    /** {@code finished_reason} tag values, indexed like {@link #finishes}. */
    private static final String[] REASONS = {"stop", "length", "abort", "error"};

    private final Scheduler scheduler;
    private final Scheduler metered;
    private final Ticker ticker;
    private final FairnessTracker fairness;
    private final int maxTenantTags;
    private final Tags tags;
    private final String[] counterKinds;
    private final AtomicLongArray finishes = new AtomicLongArray(REASONS.length);
    private final AtomicIntegerArray tenantRegistered;
    private final Object bindLock = new Object();
    private volatile MeterRegistry registry;
    volatile Meters meters;

    private EquinoxMetrics(Builder b) {
        this.scheduler = b.scheduler;
        this.ticker = b.ticker == null ? b.scheduler.ticker() : b.ticker;
        this.maxTenantTags = Math.max(0, b.maxTenantTags);
        this.tags = b.tags == null ? Tags.empty() : b.tags;
        FairnessOptions o = b.options == null ? FairnessOptions.vtcArtifact() : b.options;
        ToDoubleFunction<String> weights = id -> {
            if (o.weights().containsKey(id)) {
                return o.weight(id);
            }
            TenantStats t = scheduler.tenantStats(id);
            return t == null ? 1.0 : t.weight();
        };
        this.fairness = FairnessTracker.create(ticker, o, b.buckets == 0 ? 60 : b.buckets, weights);
        this.counterKinds = counterKinds(scheduler.policyName());
        this.tenantRegistered = new AtomicIntegerArray(maxTenantTags + 1);
        this.metered = new MeteredScheduler(scheduler, this);
        scheduler.addListener(fairness);
        scheduler.addListener(new Recorder(this));
    }

    /** A builder for the metrics of {@code scheduler}; the listener is added when it is built. */
    public static Builder builder(Scheduler scheduler) {
        return new Builder(Objects.requireNonNull(scheduler, "scheduler"));
    }

    /** Metrics with the defaults: the scheduler's ticker, 60 s window in 60 buckets, no tenant tags, no common tags. */
    public static EquinoxMetrics of(Scheduler scheduler) {
        return builder(scheduler).build();
    }

    /**
     * The scheduler to submit to and step: it reports accepted submissions to the fairness tracker and, once
     * bound, times {@code nextBatch()}. Everything else passes through to the scheduler given to the builder.
     */
    public Scheduler scheduler() {
        return metered;
    }

    /** The live fairness tracker the fairness meters read. */
    public FairnessTracker fairness() {
        return fairness;
    }

    /**
     * Creates every meter in {@code registry}. Once only: bind a
     * {@link io.micrometer.core.instrument.composite.CompositeMeterRegistry} to publish to several.
     *
     * @throws IllegalStateException when already bound
     */
    @Override
    public void bindTo(MeterRegistry reg) {
        Objects.requireNonNull(reg, "registry");
        synchronized (bindLock) {
            if (registry != null) {
                throw new IllegalStateException("already bound to a registry; bind a CompositeMeterRegistry to publish to several");
            }
            registry = reg;
            bindCounts(reg);
            bindFairness(reg);
            meters = new Meters(reg, tags);
            if (maxTenantTags > 0) {
                String[] seen = fairness.snapshot().tenants();
                for (int i = 0; i < seen.length; i++) {
                    if (seen[i] != null) {
                        seeTenant(i, seen[i]);
                    }
                }
            }
        }
    }

    private void bindCounts(MeterRegistry reg) {
        gauge(reg, "equinox.num.requests.waiting", "Requests waiting, including submissions not yet drained",
                null, o -> stats().waiting());
        gauge(reg, "equinox.num.requests.running", "Requests running", null, o -> stats().running());
        gauge(reg, "equinox.kv.cache.usage.perc", "Fraction of KV cache blocks in use (0-1)", null, o -> stats().kvUsage());
        gauge(reg, "equinox.scheduler.token.budget", "Current per-step token budget", "tokens", o -> stats().tokenBudget());
        gauge(reg, "equinox.scheduler.max.running", "Current running-sequence cap", null, o -> stats().maxRunning());
        counter(reg, "equinox.num.preemptions", "Preemptions (KV freed, recomputed later)", null, tags, o -> stats().preemptions());
        counter(reg, "equinox.prompt.tokens", "Prompt tokens processed (recomputation excluded)", "tokens", tags,
                o -> stats().promptTokens());
        counter(reg, "equinox.generation.tokens", "Output tokens produced", "tokens", tags, o -> stats().generationTokens());
        counter(reg, "equinox.request.rejected", "Submissions rejected", null, tags, o -> stats().rejected());
        for (int i = 0; i < REASONS.length; i++) {
            int reason = i;
            counter(reg, "equinox.request.success", "Requests ended, by finish reason", null,
                    tags.and("finished_reason", REASONS[i]), o -> finishes.get(reason));
        }
    }

    private void bindFairness(MeterRegistry reg) {
        gauge(reg, "equinox.fairness.service.difference",
                "VTC service difference over the window: sum_j min(max_k s_k - s_j, |r_j - s_j|), cost per second",
                null, o -> fairness.snapshot().serviceDifference());
        gauge(reg, "equinox.fairness.accumulated.service.difference",
                "Max - min over tenants of cumulative weighted service (token cost)", null,
                o -> fairness.snapshot().accumulatedServiceDifference());
        gauge(reg, "equinox.fairness.jain",
                "Jain's index over demand-normalised service of the tenants backlogged in the window", null,
                o -> fairness.snapshot().jain());
    }

    /** Registers the tenant's meters the first time tenant index {@code index} is seen (any thread). */
    void seeTenant(int index, String id) {
        MeterRegistry reg = registry;
        if (maxTenantTags == 0 || reg == null) {
            return;
        }
        int slot = Math.min(index, maxTenantTags);
        if (tenantRegistered.get(slot) != 0 || !tenantRegistered.compareAndSet(slot, 0, 1)) {
            return;
        }
        boolean other = slot == maxTenantTags;
        Tags tt = tags.and("tenant", other ? OTHER_TENANT : id);
        int lo = other ? maxTenantTags : index;
        int hi = other ? Integer.MAX_VALUE : index + 1;
        counter(reg, "equinox.tenant.service", "Cumulative service delivered (token cost / weight)", null, tt,
                o -> sum(fairness.snapshot().service(), lo, hi));
        gauge(reg, "equinox.tenant.service.rate", "Service over the window per second (token cost / weight)", null,
                tt, o -> sum(fairness.snapshot().serviceRate(), lo, hi));
        gauge(reg, "equinox.tenant.demand.rate", "Demand over the window per second (token cost / weight)", null,
                tt, o -> sum(fairness.snapshot().demandRate(), lo, hi));
        if (!other) {
            if (counterKinds[0] != null) {
                gauge(reg, "equinox.tenant.counter", "The policy's fairness counter", null,
                        tt.and("counter", counterKinds[0]), o -> tenantCounter(id, false));
            }
            if (counterKinds[1] != null) {
                gauge(reg, "equinox.tenant.counter", "The policy's fairness counter", null,
                        tt.and("counter", counterKinds[1]), o -> tenantCounter(id, true));
            }
        }
    }

    private SchedulerStats stats() {
        return scheduler.stats();
    }

    private double tenantCounter(String id, boolean resource) {
        TenantStats t = scheduler.tenantStats(id);
        return t == null ? Double.NaN : resource ? t.resourceCounter() : t.counter();
    }

    private static double sum(double[] values, int from, int to) {
        double s = 0;
        for (int i = from, end = Math.min(to, values.length); i < end; i++) {
            s += values[i];
        }
        return s;
    }

    /** The counter tag values for the policy's user-side and resource-side counters (null: not exported). */
    static String[] counterKinds(String policy) {
        if (policy.equals("fcfs") || policy.equals("priority")) {
            return new String[] {null, null};
        }
        if (policy.startsWith("vtc")) {
            return new String[] {"vtc", null};
        }
        if (policy.equals("equinox")) {
            return new String[] {"ufc", "rfc"};
        }
        return new String[] {"user", "resource"};
    }

    // Gauges and counters hold this binder strongly through their functions (the lambdas call instance methods),
    // so the meters keep working if the caller drops its reference to the binder.

    private void gauge(MeterRegistry reg, String name, String description, String unit, ToDoubleFunction<Object> f) {
        gauge(reg, name, description, unit, tags, f);
    }

    private void gauge(MeterRegistry reg, String name, String description, String unit, Tags t, ToDoubleFunction<Object> f) {
        Gauge.builder(name, this, f).description(description).baseUnit(unit).tags(t).strongReference(true).register(reg);
    }

    private void counter(MeterRegistry reg, String name, String description, String unit, Tags t, ToDoubleFunction<Object> f) {
        FunctionCounter.builder(name, this, f).description(description).baseUnit(unit).tags(t).register(reg);
    }

    void countFinish(RequestStatus status, FinishReason reason) {
        int i;
        if (status == RequestStatus.FAILED) {
            i = 3;
        } else if (reason == FinishReason.STOP) {
            i = 0;
        } else if (reason == FinishReason.LENGTH) {
            i = 1;
        } else {
            i = 2;
        }
        finishes.getAndIncrement(i);
    }

    Ticker ticker() {
        return ticker;
    }

    int maxTenantTags() {
        return maxTenantTags;
    }

    /** The distribution meters, created once by {@link #bindTo}. */
    static final class Meters {
        final Timer ttft;
        final Timer itl;
        final Timer e2e;
        final Timer queue;
        final Timer prefill;
        final Timer decode;
        final Timer step;
        final Timer nextBatch;
        final DistributionSummary iterationTokens;

        Meters(MeterRegistry reg, Tags tags) {
            ttft = timer(reg, tags, "equinox.time.to.first.token", "Time from submission to the first output token", TTFT_BUCKETS);
            itl = timer(reg, tags, "equinox.inter.token.latency", "Time between consecutive output tokens of a request", ITL_BUCKETS);
            e2e = timer(reg, tags, "equinox.e2e.request.latency", "Time from submission to finish (finished requests)", REQUEST_BUCKETS);
            queue = timer(reg, tags, "equinox.request.queue.time", "Time from submission to first admission (finished requests)", REQUEST_BUCKETS);
            prefill = timer(reg, tags, "equinox.request.prefill.time", "Time from first admission to the first token (finished requests)", REQUEST_BUCKETS);
            decode = timer(reg, tags, "equinox.request.decode.time", "Time from the first token to finish (finished requests)", REQUEST_BUCKETS);
            step = timer(reg, tags, "equinox.step.duration", "Engine step duration as reported to complete()", STEP_BUCKETS);
            nextBatch = timer(reg, tags, "equinox.next.batch.duration", "Wall time of nextBatch() (non-empty batches)", NEXT_BATCH_BUCKETS);
            iterationTokens = DistributionSummary.builder("equinox.iteration.tokens")
                    .description("Tokens processed per step (prompt chunk tokens + decode tokens)")
                    .baseUnit("tokens").tags(tags).serviceLevelObjectives(TOKEN_BUCKETS).register(reg);
        }

        private static Timer timer(MeterRegistry reg, Tags tags, String name, String description, double[] seconds) {
            Duration[] slo = new Duration[seconds.length];
            for (int i = 0; i < seconds.length; i++) {
                slo[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
            }
            return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(slo).register(reg);
        }
    }

    /**
     * Options of {@link EquinoxMetrics}. Strict: a setting given twice throws {@link IllegalStateException}, a bad
     * value {@link IllegalArgumentException}.
     */
    public static final class Builder {
        private final Scheduler scheduler;
        private Ticker ticker;
        private FairnessOptions options;
        private int buckets;
        private int maxTenantTags = -1;
        private Tags tags;

        private Builder(Scheduler scheduler) {
            this.scheduler = scheduler;
        }

        /**
         * The ticker the fairness window and the latencies read (default: the scheduler's own, {@link
         * Scheduler#ticker()}). They compare it with the handles' timestamps, so override it only with the ticker the
         * scheduler was built with (e.g. when wrapping a scheduler whose {@code ticker()} is not the one it stamps).
         */
        public Builder ticker(Ticker t) {
            requireUnset("ticker", ticker == null);
            ticker = Objects.requireNonNull(t, "ticker");
            return this;
        }

        /**
         * The fairness window, token weights and (optional) tenant weights, and the buckets per window (default:
         * {@link FairnessOptions#vtcArtifact()}, 60 buckets). Tenants without a weight in the options take the
         * scheduler's weight when first seen.
         */
        public Builder fairness(FairnessOptions fairnessOptions, int bucketsPerWindow) {
            requireUnset("fairness", options == null);
            if (bucketsPerWindow < 1) {
                throw new IllegalArgumentException("bucketsPerWindow must be >= 1, got " + bucketsPerWindow);
            }
            options = Objects.requireNonNull(fairnessOptions, "fairnessOptions");
            buckets = bucketsPerWindow;
            return this;
        }

        /**
         * Publishes per-tenant meters tagged {@code tenant} for the first {@code max} tenants (by the scheduler's
         * tenant index); later tenants fold into {@code tenant="other"} (service, rates) or are dropped (policy
         * counters). Default 0: no per-tenant meters.
         */
        public Builder tenantTags(int max) {
            requireUnset("tenantTags", maxTenantTags < 0);
            if (max < 0) {
                throw new IllegalArgumentException("tenantTags must be >= 0, got " + max);
            }
            maxTenantTags = max;
            return this;
        }

        /**
         * Tags added to every meter (for example the engine or model name).
         *
         * @throws IllegalArgumentException for a key the binder sets itself ({@code tenant}, {@code counter},
         *                                  {@code finished_reason}): it would be overridden, merging series
         */
        public Builder tags(Iterable<Tag> commonTags) {
            requireUnset("tags", tags == null);
            Tags t = Tags.of(Objects.requireNonNull(commonTags, "tags"));
            for (Tag tag : t) {
                if (RESERVED_TAG_KEYS.contains(tag.getKey())) {
                    throw new IllegalArgumentException("tag key '" + tag.getKey() + "' is set by the binder itself; reserved keys: "
                            + RESERVED_TAG_KEYS);
                }
            }
            tags = t;
            return this;
        }

        /** Builds the metrics and adds their listeners to the scheduler. */
        public EquinoxMetrics build() {
            return new EquinoxMetrics(this);
        }

        private static void requireUnset(String setting, boolean unset) {
            if (!unset) {
                throw new IllegalStateException(setting + " was already set");
            }
        }
    }
}

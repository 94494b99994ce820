package dev.equinox.metrics;

import dev.equinox.Batch;
import dev.equinox.RequestHandle;
import dev.equinox.RequestListener;
import dev.equinox.RequestResult;
import dev.equinox.Ticker;
import dev.equinox.internal.LongLongMap;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.StampedLock;
import java.util.function.ToDoubleFunction;

/**
 * Live (online) fairness of a running scheduler: per-tenant cumulative service, windowed service and demand rates,
 * VTC's service difference, the accumulated service difference and Jain's index over demand-normalised service,
 * with the definitions of {@link FairnessMetrics} applied to a sliding window that ends now.
 *
 * <pre>{@code
 * FairnessTracker fairness = FairnessTracker.create(ticker);   // the scheduler's ticker
 * scheduler.addListener(fairness);
 * scheduler.submit(spec) ... fairness.onSubmitted(handle);      // for demand and backlog (Jain)
 * FairnessSnapshot now = fairness.snapshot();                   // any thread
 * }</pre>
 *
 * <h2>Definitions, and where they differ from the offline report</h2>
 * <ul>
 * <li><b>Service</b> (cost units {@code w_p * prompt + w_q * output}, divided by the tenant's weight) is counted when
 * it is delivered: the prompt's cost at the request's first token, {@code w_q} for every output token in the step
 * that produced it. The offline {@link ServiceTimeline} spreads a request's cost uniformly over [first token,
 * finish]; both give the same cumulative service once the request has ended. A request that never produced a
 * token delivers no service (as offline); recomputation after a preemption is never counted twice.</li>
 * <li><b>Demand</b>: the cost of the requests that arrived ({@link #onSubmitted}). At arrival the output is not
 * known, so it is counted as {@code maxOutputTokens} and settled to the tokens actually produced when the request
 * ends, in the bucket where it arrived (if that bucket is still in the window). Once every request that arrived in
 * the window has ended, the windowed demand equals {@link ServiceTimeline#demand} over the same interval.</li>
 * <li><b>Window</b>: {@code buckets} buckets of {@code window / buckets}; the window is
 * {@code [start of the bucket (now - buckets + 1), now]}, so it holds between {@code window - window/buckets} and
 * {@code window} seconds of history (less before the first event); rates divide by its actual length.</li>
 * <li><b>Service difference</b>: {@link FairnessMetrics#serviceDifference} over the windowed service and demand
 * rates of every tenant seen. <b>Accumulated service difference</b>: max - min over the tenants seen of the
 * cumulative service since the tracker started (offline starts after a warm-up).</li>
 * <li><b>Jain</b>: {@link FairnessMetrics#demandNormalisedJain} over the tenants <em>backlogged</em> in the window
 * (one of their requests waited for its first token at some instant of it), with served = windowed service and
 * outstanding = cost of the requests that arrived by now minus the cost of those that ended before the window. A
 * request leaves the system when it ends in any way (offline, a request that never produced a token stays
 * outstanding). Backlog is known only from arrivals: without {@link #onSubmitted} the index is NaN.</li>
 * </ul>
 *
 * <h2>Cost and threading</h2>
 * The listener callbacks run on the engine thread: {@link #onStep} is O(entries of the batch), and crossing into a
 * new bucket clears one slot per tenant (at most {@code buckets} slots however long the pause), so the cost per
 * step is O(batch) amortised and nothing is allocated in steady state (arrays grow only when a tenant first
 * appears). Memory is O(tenants x buckets). The engine thread writes under a {@link StampedLock} write lock that no
 * other writer contends for; {@link #snapshot()} reads optimistically (validate, retry) from any thread and takes
 * the read lock only after repeated conflicts, so a reader never blocks the engine for more than one copy of the
 * state. {@link #onSubmitted} may be called from any thread: arrivals are queued and applied by the engine thread
 * at its next callback, so a request's arrival may be applied shortly after its admission; the counts are the same.
 */
public final class FairnessTracker implements RequestListener {
    private static final long NONE = Long.MIN_VALUE;
    private static final int OPTIMISTIC_TRIES = 8;

    private final Ticker ticker;
    private final double promptWeight;
    private final double outputWeight;
    private final ToDoubleFunction<String> weightOf;
    private final int buckets;
    private final long bucketNanos;
    private final ConcurrentLinkedQueue<RequestHandle> arrivals = new ConcurrentLinkedQueue<>();
    private final StampedLock lock = new StampedLock();
    private volatile boolean fed;
    private volatile Cached cached;

    // written under the write lock (engine thread); per tenant by dense index, rings are [tenant * buckets + slot]
    private String[] ids = new String[0];
    private double[] weight = new double[0];
    private double[] service = new double[0];
    private double[] demand = new double[0];
    private double[] finished = new double[0];
    private long[] waiting = new long[0];
    private long[] lastBacklog = new long[0];
    private double[] ringService = new double[0];
    private double[] ringDemand = new double[0];
    private double[] ringFinished = new double[0];
    private long cur = NONE;
    private long firstNanos = NONE;
    /**
     * Requests whose arrival was counted and which have not ended: {@link #WAITING} for their first token, or
     * {@link #STARTED}. Only these are settled at their end, so requests never reported to {@link #onSubmitted}
     * (submitted before the tracker, or through another path) leave demand and backlog alone.
     */
    private final LongLongMap pending = new LongLongMap(256);
    private static final long WAITING = 0;
    private static final long STARTED = 1;

    private FairnessTracker(Ticker ticker, FairnessOptions o, int buckets, ToDoubleFunction<String> weightOf) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.weightOf = Objects.requireNonNull(weightOf, "tenantWeights");
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets must be >= 1, got " + buckets);
        }
        long nanos = Math.round(o.windowSeconds() * 1e9 / buckets);
        if (nanos < 1) {
            throw new IllegalArgumentException("window " + o.windowSeconds() + " s is too short for " + buckets + " buckets");
        }
        this.buckets = buckets;
        this.bucketNanos = nanos;
        this.promptWeight = o.promptWeight();
        this.outputWeight = o.outputWeight();
    }

    /** A tracker with VTC's window (60 s in 60 buckets), token weights (1, 2) and unit tenant weights. */
    public static FairnessTracker create(Ticker ticker) {
        return create(ticker, FairnessOptions.vtcArtifact(), 60);
    }

    /**
     * A tracker with the options' window, token weights and tenant weights (ticks, warm-up and the skip rule are
     * offline sampling rules and are not used).
     *
     * @param ticker  the scheduler's ticker (timestamps of handles and the tracker's clock must agree)
     * @param buckets buckets per window (&gt;= 1): more buckets, a smoother window and more memory
     */
    public static FairnessTracker create(Ticker ticker, FairnessOptions options, int buckets) {
        return create(ticker, options, buckets, options::weight);
    }

    /**
     * As {@link #create(Ticker, FairnessOptions, int)}, with tenant weights looked up once, when a tenant is first
     * seen (on the engine thread); a weight that is not a finite positive number counts as 1.
     */
    public static FairnessTracker create(Ticker ticker, FairnessOptions options, int buckets,
            ToDoubleFunction<String> tenantWeights) {
        return new FairnessTracker(ticker, Objects.requireNonNull(options, "options"), buckets, tenantWeights);
    }

    /**
     * Records an accepted submission: its demand, and that its tenant waits until its first token. Any thread.
     * Call it once for every accepted request (or for none: then demand stays 0 and Jain's index is NaN).
     */
    public void onSubmitted(RequestHandle r) {
        Objects.requireNonNull(r, "r");
        if (!fed) {
            fed = true;
        }
        arrivals.add(r);
    }

    @Override
    public void onFirstToken(RequestHandle r) {
        long s = lock.writeLock();
        try {
            drainArrivals();
            int t = tenant(r);
            add(service, ringService, t, r.firstTokenAtNanos(), promptWeight * r.spec().promptTokens());
            if (pending.get(r.id()) == WAITING) {
                pending.put(r.id(), STARTED);
                changeWaiting(t, -1);
            }
        } finally {
            lock.unlockWrite(s);
        }
    }

    @Override
    public void onStep(Batch b, long durationNanos, double gpuUtilization) {
        long now = ticker.read();
        long s = lock.writeLock();
        try {
            drainArrivals();
            int slot = slotOf(now);
            for (int i = 0, n = b.size(); i < n; i++) {
                int produced = b.produced(i);
                if (produced > 0) {
                    int t = b.tenantIndex(i); // from the batch's own array: no request object on this loop
                    if (t >= ids.length || ids[t] == null) {
                        addTenant(t, b.request(i).tenant());
                    }
                    double c = outputWeight * produced;
                    service[t] += c;
                    if (slot >= 0) {
                        ringService[t * buckets + slot] += c;
                    }
                }
            }
        } finally {
            lock.unlockWrite(s);
        }
    }

    @Override
    public void onTerminal(RequestHandle r, RequestResult result) {
        long s = lock.writeLock();
        try {
            drainArrivals();
            int t = tenant(r);
            int generated = r.generatedTokens();
            // the end first: it advances the ring to the request's end, where a backlog that ends here is dated
            add(finished, ringFinished, t, r.finishedAtNanos(), promptWeight * r.spec().promptTokens() + outputWeight * generated);
            long state = pending.get(r.id());
            if (state != LongLongMap.ABSENT) { // only a request whose arrival was counted is settled
                pending.remove(r.id());
                add(demand, ringDemand, t, r.queuedAtNanos(), outputWeight * (generated - r.spec().maxOutputTokens()));
                if (state == WAITING) {
                    changeWaiting(t, -1);
                }
            }
        } finally {
            lock.unlockWrite(s);
        }
    }

    // ------------------------------------------------------------------ engine thread, under the write lock

    /**
     * Counts the arrivals reported since the last callback. By the time one is drained the engine may already have
     * given the request its first token, or ended it (it was reported after {@code submit} returned, or drained at a
     * later callback): such a request is counted as it is now, its wait recorded as a backlog that ended at its first
     * token (or its end), so that no later event undoes what was never done.
     */
    private void drainArrivals() {
        RequestHandle r;
        while ((r = arrivals.poll()) != null) {
            int t = tenant(r);
            double prompt = promptWeight * r.spec().promptTokens();
            long first = r.firstTokenAtNanos();
            if (r.status().isTerminal()) {
                add(demand, ringDemand, t, r.queuedAtNanos(), prompt + outputWeight * r.generatedTokens());
                backlogUntil(t, first >= 0 ? first : r.finishedAtNanos());
            } else {
                add(demand, ringDemand, t, r.queuedAtNanos(), prompt + outputWeight * r.spec().maxOutputTokens());
                if (first >= 0) {
                    pending.put(r.id(), STARTED);
                    backlogUntil(t, first);
                } else {
                    pending.put(r.id(), WAITING);
                    changeWaiting(t, 1);
                }
            }
        }
    }

    /** Tenant t was backlogged until {@code atNanos} (a wait that ended before its arrival was drained). */
    private void backlogUntil(int t, long atNanos) {
        slotOf(atNanos); // advances the ring if that time is later than anything recorded
        long k = Math.floorDiv(atNanos, bucketNanos);
        if (k > lastBacklog[t]) { // NONE is the least long
            lastBacklog[t] = k;
        }
    }

    private void add(double[] cumulative, double[] ring, int t, long atNanos, double amount) {
        cumulative[t] += amount;
        int slot = slotOf(atNanos);
        if (slot >= 0) {
            ring[t * buckets + slot] += amount;
        }
    }

    private void changeWaiting(int t, int delta) {
        long before = waiting[t];
        waiting[t] = before + delta;
        if (before > 0 || before + delta > 0) {
            lastBacklog[t] = cur;
        }
    }

    /** The ring slot of the bucket holding {@code atNanos}, advancing the ring to it; -1 if it left the ring. */
    private int slotOf(long atNanos) {
        long k = Math.floorDiv(atNanos, bucketNanos);
        if (firstNanos == NONE || atNanos < firstNanos) {
            firstNanos = atNanos;
        }
        if (cur == NONE) {
            cur = k;
        } else if (k > cur) {
            long clear = Math.min(k - cur, buckets);
            for (long j = 1; j <= clear; j++) {
                int slot = (int) Math.floorMod(cur + j, (long) buckets);
                for (int i = slot, end = ids.length * buckets; i < end; i += buckets) {
                    ringService[i] = 0;
                    ringDemand[i] = 0;
                    ringFinished[i] = 0;
                }
            }
            cur = k;
        } else if (k <= cur - buckets) {
            return -1;
        }
        return (int) Math.floorMod(k, (long) buckets);
    }

    private int tenant(RequestHandle r) {
        int t = r.tenantIndex();
        if (t >= ids.length || ids[t] == null) {
            addTenant(t, r.tenant());
        }
        return t;
    }

    private void addTenant(int t, String id) {
        if (t >= ids.length) {
            int old = ids.length;
            int n = Math.max(t + 1, Math.max(4, old * 2));
            ids = Arrays.copyOf(ids, n);
            weight = Arrays.copyOf(weight, n);
            service = Arrays.copyOf(service, n);
            demand = Arrays.copyOf(demand, n);
            finished = Arrays.copyOf(finished, n);
            waiting = Arrays.copyOf(waiting, n);
            lastBacklog = Arrays.copyOf(lastBacklog, n);
            Arrays.fill(lastBacklog, old, n, NONE);
            ringService = Arrays.copyOf(ringService, n * buckets);
            ringDemand = Arrays.copyOf(ringDemand, n * buckets);
            ringFinished = Arrays.copyOf(ringFinished, n * buckets);
        }
        double w = weightOf.applyAsDouble(id);
        weight[t] = w > 0 && !Double.isInfinite(w) ? w : 1.0;
        ids[t] = id;
    }

    // ------------------------------------------------------------------ any thread

    /**
     * The fairness now, over the window ending now. Any thread; never blocks the engine for longer than one copy
     * of the state. When nothing was recorded since the previous snapshot and the clock is still in the same
     * bucket, the previous snapshot is returned.
     */
    public FairnessSnapshot snapshot() {
        long now = ticker.read();
        long nowBucket = Math.floorDiv(now, bucketNanos);
        Cached c = cached;
        long version = lock.tryOptimisticRead();
        if (c != null && version != 0 && c.version == version && c.bucket == nowBucket) {
            return c.snapshot;
        }
        Raw raw = null;
        for (int attempt = 0; raw == null; attempt++) {
            boolean optimistic = attempt < OPTIMISTIC_TRIES;
            long stamp = optimistic ? lock.tryOptimisticRead() : lock.readLock();
            try {
                Raw r = read(nowBucket);
                if (!optimistic || (stamp != 0 && lock.validate(stamp))) {
                    raw = r;
                    version = optimistic ? stamp : 0;
                }
            } catch (RuntimeException torn) {
                if (!optimistic) {
                    throw torn;
                }
            } finally {
                if (!optimistic) {
                    lock.unlockRead(stamp);
                }
            }
        }
        FairnessSnapshot snap = compute(raw, now, nowBucket);
        if (version != 0) {
            cached = new Cached(version, nowBucket, snap);
        }
        return snap;
    }

    /** Copies the state (consistent only if the caller's stamp validates afterwards). */
    private Raw read(long nowBucket) {
        String[] idsR = ids;
        double[] weightR = weight;
        double[] serviceR = service;
        double[] demandR = demand;
        double[] finishedR = finished;
        long[] waitingR = waiting;
        long[] backlogR = lastBacklog;
        double[] rs = ringService;
        double[] rd = ringDemand;
        double[] rf = ringFinished;
        Raw r = new Raw(idsR.length);
        r.cur = cur;
        r.first = firstNanos;
        if (r.cur == NONE) {
            return r;
        }
        long hi = r.cur; // the window ends at max(nowBucket, cur); buckets after cur hold nothing
        long lo = Math.max(nowBucket, r.cur) - buckets + 1;
        for (int t = 0; t < r.n; t++) {
            r.ids[t] = idsR[t];
            r.weight[t] = weightR[t];
            r.service[t] = serviceR[t];
            r.demand[t] = demandR[t];
            r.finished[t] = finishedR[t];
            r.waiting[t] = waitingR[t];
            r.lastBacklog[t] = backlogR[t];
            for (long k = lo; k <= hi; k++) {
                int i = t * buckets + (int) Math.floorMod(k, (long) buckets);
                r.winService[t] += rs[i];
                r.winDemand[t] += rd[i];
                r.winFinished[t] += rf[i];
            }
        }
        return r;
    }

    private FairnessSnapshot compute(Raw r, long now, long nowBucket) {
        int n = r.n;
        double[] cumulative = new double[n];
        double[] serviceRate = new double[n];
        double[] demandRate = new double[n];
        boolean[] backlogged = new boolean[n];
        if (r.cur == NONE) {
            return new FairnessSnapshot(now, now, r.ids, r.weight, cumulative, serviceRate, demandRate, backlogged,
                    0, 0, Double.NaN);
        }
        long endBucket = Math.max(nowBucket, r.cur);
        long at = Math.max(now, r.cur * bucketNanos);
        long startBucket = endBucket - buckets + 1;
        long start = Math.max(startBucket * bucketNanos, r.first);
        double seconds = Math.max(0, at - start) / 1e9;
        boolean withBacklog = fed;
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        int k = 0;
        double[] served = new double[n];
        double[] outstanding = new double[n];
        double[] ws = new double[n];
        for (int t = 0; t < n; t++) {
            if (r.ids[t] == null) {
                continue;
            }
            double w = r.weight[t];
            cumulative[t] = r.service[t] / w;
            max = Math.max(max, cumulative[t]);
            min = Math.min(min, cumulative[t]);
            if (seconds > 0) {
                serviceRate[t] = r.winService[t] / seconds / w;
                demandRate[t] = r.winDemand[t] / seconds / w;
            }
            backlogged[t] = withBacklog && (r.waiting[t] > 0 || r.lastBacklog[t] >= startBucket);
            if (backlogged[t]) {
                served[k] = r.winService[t];
                outstanding[k] = r.demand[t] - (r.finished[t] - r.winFinished[t]);
                ws[k] = w;
                k++;
            }
        }
        double accumulated = max >= min ? max - min : 0;
        double jain = withBacklog
                ? FairnessMetrics.demandNormalisedJain(Arrays.copyOf(served, k), Arrays.copyOf(outstanding, k), Arrays.copyOf(ws, k))
                : Double.NaN;
        return new FairnessSnapshot(at, start, r.ids, r.weight, cumulative, serviceRate, demandRate, backlogged,
                FairnessMetrics.serviceDifference(serviceRate, demandRate), accumulated, jain);
    }

    /** A copy of the tracker's state and the windowed sums. */
    private static final class Raw {
        final int n;
        final String[] ids;
        final double[] weight;
        final double[] service;
        final double[] demand;
        final double[] finished;
        final long[] waiting;
        final long[] lastBacklog;
        final double[] winService;
        final double[] winDemand;
        final double[] winFinished;
        long cur;
        long first;

        Raw(int n) {
            this.n = n;
            ids = new String[n];
            weight = new double[n];
            service = new double[n];
            demand = new double[n];
            finished = new double[n];
            waiting = new long[n];
            lastBacklog = new long[n];
            winService = new double[n];
            winDemand = new double[n];
            winFinished = new double[n];
        }
    }

    private record Cached(long version, long bucket, FairnessSnapshot snapshot) {
    }
}

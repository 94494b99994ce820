package dev.equinox;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import dev.equinox.spi.SchedulingPolicy;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler behind {@link Equinox#build()}.
 *
 * <h2>Design</h2>
 * <ul>
 * <li><b>Two worlds.</b> Callers ({@link #submit}, cancel, {@link #registerTenant}, {@link #stats()},
 * {@link #close()}) only touch atomics, volatile fields and two lock-free queues; everything else belongs to the
 * engine thread, which drains the queues at the start of {@link #nextBatch()}. No lock is taken on the hot path
 * and no caller ever blocks. A submission whose tenant was created after the engine last looked at the tenant
 * table is seen before its request is queued (the table is re-read when a drained request names an unknown
 * tenant), so a new tenant is always known to the policy before it is backlogged.</li>
 * <li><b>Per-tenant FIFO queues</b> (intrusive linked lists) plus a dense array of <i>active</i> tenants (those
 * with waiting requests): the policy chooses among active tenants and takes the head, so a step never scans the
 * waiting queue. The policies learn which tenants are backlogged ({@code onBacklogged}, {@code onIdle}) and when a
 * head changes ({@code onHeadChanged}), so the bundled ones keep a heap and choose in O(1) to O(log tenants) per
 * admission; a step costs O(running) for the decodes.
 * A request put back (preemption, failed step) is inserted among its tenant's waiting requests by arrival order,
 * so requests of one tenant stay in arrival order however often they are put back.</li>
 * <li><b>Stall-free batching</b> (Sarathi-Serve, OSDI 2024): decodes first, then chunks of prompts already in
 * prefill, then admissions, all within one token budget.</li>
 * <li><b>KV in blocks, reserved by prediction</b>: admission reserves prompt + predicted output x (1 + margin)
 * (SGLang reserves the expected decode similarly; vLLM reserves nothing and preempts more); when a decode needs
 * a block and none is free the policy picks a victim, whose KV is freed and which is recomputed later.</li>
 * <li><b>The running set as arrays</b>: each running request's hot fields (computed and target tokens, blocks,
 * generated tokens, output cap, id, tenant) are kept in arrays by running index, so forming and completing a step
 * read and write dense memory and load no request object for a decode. Computed tokens, blocks and generated
 * tokens live only there while the request runs, as do the policy's scratch values; all are written back to the
 * request when it stops running. At 4k running the request objects are scattered over the heap (VTC admits from
 * every tenant's queue) and each load or store was a cache miss: VTC's step went from about 1.3 ms to 0.15 ms
 * (docs/performance.md). Caffeine keeps its frequency sketch in a {@code long[]} for the same reason. The price is
 * paid by {@link RequestHandle#generatedTokens()} on other threads: it reads the running arrays under a sequence
 * lock ({@code runVersion}, odd while a request enters or leaves the running set, i.e. a few times per step), so a
 * swap never hands it another request's count; {@code LiveGeneratedCountTest} reads from two threads while the
 * running set churns. The batch's decode entries are runs of running indices: completion walks the runs over the
 * arrays, and the entries' request references are copied into the batch only when someone asks (the per-step copy of
 * thousands of references paid G1 write barriers: Equinox's decode pass at 1k running took 11.9 us under G1 and 5.8
 * under ParallelGC, docs/performance.md).</li>
 * <li><b>No allocation per step</b>: the {@link Batch} and all arrays are reused; counters are primitives.
 * {@code SchedulerAllocationTest} measures the thread's allocated bytes for FCFS, VTC and Equinox: 0 bytes over
 * 800 steps of decodes, chunked prefills, KV growth, preemptions and re-admissions; with requests finishing, 80
 * bytes per finished request, its {@link RequestResult} (JDK 17, compressed references).</li>
 * <li><b>Closing from any thread</b> is made safe by an ownership gate on the engine state rather than a lock:
 * {@link #nextBatch()}, {@link #complete} and {@link #fail} enter by a CAS IDLE -&gt; BUSY and leave by setting
 * IDLE; {@link #close()} sets {@code closed} and tries IDLE -&gt; CLOSING. Whoever wins that CAS (the closing
 * thread when the engine is between calls, otherwise the engine thread as it leaves its call, which re-checks
 * {@code closed} after releasing the gate) owns the engine state exclusively and fails every request left
 * (queued, running, in the batch that is out) with {@link RequestStatus#FAILED}. So a scheduler whose engine
 * never calls again still completes every future, and the engine state is never walked by two threads. After
 * close, {@code nextBatch()} returns an empty batch and {@code complete}/{@code fail} are ignored. A submission
 * racing with close either is rejected ({@link Rejection#SHUTDOWN}) or is accepted and then failed: a submitter
 * that finds {@code closed} set after queueing its request fails whatever is left in the submission queue
 * itself (the queue is multi-consumer), so no request is stranded. The gate also turns two threads calling the
 * engine methods at once into an {@link IllegalStateException} instead of silent corruption. Cost: one
 * uncontended CAS and one volatile write per engine call.</li>
 * <li><b>Statistics</b> are kept in plain engine-thread fields and published at the end of every engine call
 * under a sequence lock (odd version while copying, fences as {@link java.util.concurrent.locks.StampedLock}
 * uses them), so {@link #stats()} on any thread sees one publication's values, never a torn mix; counts changed
 * by callers (submitted, rejected, waiting, failed) are atomics.</li>
 * <li><b>Cancels</b> are applied by the engine thread at the start of {@code nextBatch()}, never while a batch is
 * out: a cancel of a request in the batch being run takes effect after that step's completion (which may finish
 * the request first: the cancel then does nothing), and a cancel of a request that a failed step put back
 * removes it from the queue.</li>
 * <li><b>Blocking predictors</b> run on the prediction executor; the predictor is closed only once no
 * prediction is in flight (a counter checked by both the closer and the last finishing prediction), and
 * predictions queued after close are skipped, so a native predictor is never closed under a running call.</li>
 * </ul>
 */
final class DefaultScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultScheduler.class);
    private static final int VTC_JOIN_EVERY = 10;
    private static final int VTC_MAX_RUNNING = 1000;
    // engine-state ownership gate (see the design comment)
    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    // configuration
    final int configuredBudget;
    final int configuredMaxRunning;
    final int totalBlocks;
    final int blockSize;
    final int chunkSize;
    final int maxContext;
    final double kvMargin;
    final int maxWaiting;
    final int maxWaitingPerTenant;
    final double promptWeight;
    final double outputWeight;
    final boolean requireRegistration;
    final int maxTenants;
    final BatchingMode mode;
    final Ticker ticker;
    final EngineCostModel costModel;
    final SchedulingPolicy policy;
    final Predictor predictor;
    final Predictor fallback;
    private final Executor predictionExecutor;
    private final ExecutorService ownedExecutor;
    final AdaptiveBatching adaptive;
    final PolicyView view;

    // caller side
    private final ConcurrentHashMap<String, Tenant> tenantsById = new ConcurrentHashMap<>();
    private final Object tenantLock = new Object();
    /**
     * Every tenant by index, up to {@link #tenantCount}; grows by doubling (a per-user tenant id makes every request
     * a new tenant: copying the table for each one made 200k new tenants take 13 s to submit and adopt,
     * NewTenantsBenchmark, docs/performance.md).
     */
    private volatile Tenant[] tenantArray = new Tenant[16];
    /** Tenants in {@link #tenantArray}: written after the new entry, read before the array. */
    private volatile int tenantCount;
    private final ConcurrentLinkedQueue<Req> inbox = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Req> cancels = new ConcurrentLinkedQueue<>();
    /** Requests whose blocking prediction arrived (prediction executor); looked at by the engine at its next drain. */
    private final ConcurrentLinkedQueue<Req> predictionsArrived = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingPermits = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong submittedCount = new AtomicLong();
    private final AtomicLong rejectedCount = new AtomicLong();
    private final AtomicLong failedCount = new AtomicLong();
    private volatile boolean weightsDirty;
    private volatile boolean closed;
    private final AtomicInteger gate = new AtomicInteger(IDLE);
    private final AtomicInteger predictionsInFlight = new AtomicInteger();
    private final AtomicBoolean predictorClosed = new AtomicBoolean();
    private volatile RequestListener[] listeners = new RequestListener[0];

    // engine side
    private int knownTenants;
    Tenant[] tenants = new Tenant[0];
    /** Running requests by tenant index (an array, not a Tenant field: adding and removing one loads no Tenant). */
    int[] tenantRunning = new int[0];
    int[] active = new int[16];
    int activeCount;
    Req[] running = new Req[64];
    int runningCount;
    // The running requests' hot fields, by running index (kept with running[]: moved by the same swap on removal).
    // Computed tokens, KV blocks and generated tokens live only here while a request runs (its own fields are
    // written back when it stops running); prefill target, id, tenant index and output cap are copies. Forming and
    // completing a step read and write these dense arrays and never load a request object for a decode: at
    // thousands running, admitted from all over the waiting queue, each such load or store was a cache miss, and
    // they were most of a step (docs/performance.md). Other threads read a running request's generated count
    // through runVersion (liveGenerated).
    private int[] runComputed = new int[64];
    private int[] runTarget = new int[64];
    private int[] runBlocks = new int[64];
    private int[] runTenant = new int[64];
    private long[] runId = new long[64];
    private int[] runGenerated = new int[64];
    private int[] runMaxOut = new int[64];
    // The policy's two scratch values of each running request (SchedulerView.scratch): here while it runs, so a
    // policy charging every entry of a step reads no request object; written back to the request when it stops.
    double[] runScratch0 = new double[64];
    double[] runScratch1 = new double[64];
    /**
     * Sequence lock over the running set's membership (odd while a request enters or leaves it): liveGenerated.
     * Written with release stores and read with acquire loads (RUN_VERSION), not as a volatile: a seqlock needs no
     * store-load fence, and a volatile store costs one (a locked instruction on x86) at every admission and finish.
     */
    private int runVersion;
    private static final VarHandle RUN_VERSION;

    static {
        try {
            RUN_VERSION = MethodHandles.lookup().findVarHandle(DefaultScheduler.class, "runVersion", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private Req[] prefilling = new Req[16];
    private int prefillingCount;
    private int[] prefillIdx = new int[16];
    /** The requests that finished in the step being completed, and how (taken before any leaves the running set). */
    private Req[] finishing = new Req[16];
    private byte[] finishingReason = new byte[16];
    int freeBlocks;
    private long seqCounter;
    private long admitCounter;
    private final Batch batch = new Batch();
    private long nextStep;
    private boolean batchOut;
    private int decodeStepsSinceJoin = VTC_JOIN_EVERY;
    private long[] vtcScratch = new long[64];

    // statistics: plain fields written by the engine thread ...
    private long finishedCount;
    private long cancelledCount;
    private long preemptionCount;
    private long promptTokenCount;
    private long generationTokenCount;
    private long stepCount;
    private long failedStepCount;
    private int waitingEngine;
    // ... copied at the end of every engine call under a sequence lock (odd while copying)
    private volatile long statsVersion;
    private long pubFinished;
    private long pubCancelled;
    private long pubPreemptions;
    private long pubPromptTokens;
    private long pubGenerationTokens;
    private long pubSteps;
    private long pubFailedSteps;
    private int pubRunning;
    private int pubBlocksUsed;
    private int pubBudget;
    private int pubMaxRunning;

    DefaultScheduler(Equinox b, int budget, int maxRunning, int blocks, int blockSize, int chunk, int context,
            int maxWaiting, int perTenant) {
        this.configuredBudget = budget;
        this.configuredMaxRunning = maxRunning;
        this.totalBlocks = blocks;
        this.blockSize = blockSize;
        this.chunkSize = chunk;
        this.maxContext = context;
        this.kvMargin = Double.isNaN(b.kvMargin) ? 0.1 : b.kvMargin;
        this.maxWaiting = maxWaiting;
        this.maxWaitingPerTenant = perTenant;
        this.promptWeight = Double.isNaN(b.promptWeight) ? 1.0 : b.promptWeight;
        this.outputWeight = Double.isNaN(b.outputWeight) ? 2.0 : b.outputWeight;
        this.requireRegistration = b.requireRegistration != null && b.requireRegistration;
        this.maxTenants = Equinox.or(b.maxTenants, Integer.MAX_VALUE);
        this.mode = b.batchingMode == null ? BatchingMode.STALL_FREE : b.batchingMode;
        this.ticker = b.ticker == null ? Ticker.system() : b.ticker;
        this.costModel = b.costModel == null ? CostModels.vtcA10g() : b.costModel;
        this.policy = b.policy == null ? Policies.fcfs() : b.policy;
        this.predictor = b.predictor == null ? Predictors.movingAverage() : b.predictor;
        this.fallback = b.fallbackPredictor == null ? Predictors.maxTokens() : b.fallbackPredictor;
        if (predictor.isBlocking() && b.predictionExecutor == null) {
            ownedExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "equinox-predictor");
                t.setDaemon(true);
                return t;
            });
            predictionExecutor = ownedExecutor;
        } else {
            ownedExecutor = null;
            predictionExecutor = b.predictionExecutor;
        }
        boolean adaptiveOn = b.adaptive != null ? b.adaptive : this.policy instanceof HolisticPolicy;
        double target = Double.isNaN(b.targetTpotSeconds) ? AdaptiveBatching.DEFAULT_TARGET_TPOT_SECONDS : b.targetTpotSeconds;
        this.adaptive = new AdaptiveBatching(adaptiveOn && mode == BatchingMode.STALL_FREE, budget, maxRunning,
                Math.min(chunk, budget), target, costModel);
        this.freeBlocks = blocks;
        this.view = new PolicyView(this);
        this.policy.bind(view);
        publishStats();
    }

    // ------------------------------------------------------------------ any thread

    @Override
    public Submission submit(RequestSpec spec) {
        if (spec == null) {
            return reject(null, Rejection.INVALID_REQUEST, "the request spec is null");
        }
        String tenantId = spec.tenant();
        if (closed) {
            return reject(tenantId, Rejection.SHUTDOWN, "the scheduler is closed");
        }
        int prompt = spec.promptTokens();
        long total = (long) prompt + spec.maxOutputTokens();
        int capacityTokens = totalBlocks * blockSize;
        if (mode == BatchingMode.VTC_REFERENCE) {
            // the artifact's admission test is need < capacity (strict), need = prompt + max output when alone
            if (total >= capacityTokens) {
                return reject(tenantId, Rejection.EXCEEDS_KV_CAPACITY, "prompt " + prompt + " + maxOutputTokens "
                        + spec.maxOutputTokens() + " = " + total + " tokens can never be admitted in VTC reference mode: "
                        + "it needs fewer than the KV capacity of " + capacityTokens + " tokens");
            }
            int prefillBudget = vtcPrefillBudget();
            if (prompt > prefillBudget) {
                return reject(tenantId, Rejection.EXCEEDS_CONTEXT, "prompt " + prompt
                        + " exceeds the VTC reference mode's prefill budget of " + prefillBudget + " tokens");
            }
        } else if (blocksFor(prompt + 1L) > totalBlocks) {
            return reject(tenantId, Rejection.EXCEEDS_KV_CAPACITY, "prompt " + prompt + " + 1 output token can never fit "
                    + "the KV cache of " + totalBlocks + " blocks x " + blockSize + " tokens");
        }
        if (total > maxContext) {
            return reject(tenantId, Rejection.EXCEEDS_CONTEXT, "prompt " + prompt + " + maxOutputTokens "
                    + spec.maxOutputTokens() + " = " + total + " exceeds the context limit " + maxContext);
        }
        Tenant t = tenantsById.get(tenantId);
        if (t == null && requireRegistration) {
            return reject(tenantId, Rejection.UNKNOWN_TENANT, "tenant is not registered");
        }
        long queuedAt = ticker.read(); // before any permit is taken: nothing to give back if a user ticker throws
        if (waitingPermits.incrementAndGet() > maxWaiting) {
            waitingPermits.decrementAndGet();
            return reject(tenantId, Rejection.QUEUE_FULL, maxWaiting + " requests are already waiting");
        }
        if (t == null) {
            // created only once the request has its place: a refused submission leaves no tenant behind
            t = tenant(tenantId, 1.0, false);
            if (t == null) {
                waitingPermits.decrementAndGet();
                return reject(tenantId, Rejection.TENANT_LIMIT, "the scheduler already keeps its limit of " + maxTenants + " tenants");
            }
        }
        if (t.waitingPermits.incrementAndGet() > maxWaitingPerTenant) {
            t.waitingPermits.decrementAndGet();
            waitingPermits.decrementAndGet();
            return reject(tenantId, Rejection.TENANT_QUEUE_FULL, "tenant already has " + maxWaitingPerTenant + " requests waiting");
        }
        Req r = new Req(ids.getAndIncrement(), t, spec, this);
        r.queuedAt = queuedAt;
        if (predictor.isBlocking()) {
            startAsyncPrediction(r);
        }
        submittedCount.incrementAndGet();
        inbox.add(r);
        if (closed) {
            // close() may have drained the inbox before our add: fail what is left so nothing is stranded
            failInboxAfterClose();
        }
        return new Submission.Accepted(r);
    }

    private void startAsyncPrediction(Req r) {
        try {
            predictionExecutor.execute(() -> {
                predictionsInFlight.incrementAndGet();
                try {
                    if (!closed) {
                        Prediction p = predictor.predict(r.spec);
                        r.ownPrediction = clampPrediction(p.outputTokens(), r.spec);
                        predictionsArrived.add(r);
                    }
                } catch (RuntimeException e) {
                    LOG.debug("predictor {} failed for request {}; the fallback is used", predictor.name(), r.id, e);
                } finally {
                    // only once the engine state is closed (CLOSED, after which the engine makes no call): closing while
                    // the engine thread is inside a call could pull a native predictor from under its observe or
                    // fallback; the closer re-reads the count after setting CLOSED, so one of the two closes it
                    if (predictionsInFlight.decrementAndGet() == 0 && gate.get() == CLOSED) {
                        closePredictor();
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("prediction executor refused request {}; the fallback is used", r.id, e);
        }
    }

    private Submission reject(String tenant, Rejection reason, String message) {
        rejectedCount.incrementAndGet();
        return new Submission.Rejected(tenant, reason, message);
    }

    @Override
    public void registerTenant(String tenant, double weight) {
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("tenant must be a non-blank string, got " + (tenant == null ? "null" : "'" + tenant + "'"));
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight of tenant '" + tenant + "' must be a finite number > 0, got " + weight);
        }
        Tenant t = tenantsById.get(tenant);
        if (t == null || !t.registered) {
            t = tenant(tenant, weight, true);
            if (t == null) {
                throw new IllegalStateException("cannot register tenant '" + tenant + "': the scheduler already keeps its limit of "
                        + maxTenants + " tenants (maxTenants)");
            }
        }
        t.requestedWeight = weight;
        weightsDirty = true;
    }

    /** The tenant of {@code id}, created if new; null when it is new and {@link #maxTenants} are kept already. */
    private Tenant tenant(String id, double weight, boolean registered) {
        synchronized (tenantLock) {
            Tenant t = tenantsById.get(id);
            if (t != null) {
                return t;
            }
            Tenant[] table = tenantArray;
            int n = tenantCount;
            if (n >= maxTenants) {
                return null;
            }
            t = new Tenant(id, n, weight, registered);
            if (n == table.length) {
                table = Arrays.copyOf(table, n * 2);
                tenantArray = table;
            }
            table[n] = t;
            tenantCount = n + 1; // publishes the entry (and a grown table) to the engine's syncTenants
            tenantsById.put(id, t); // only now can a submitter find it, so the engine knows it by then
            return t;
        }
    }

    void enqueueCancel(Req r) {
        cancels.add(r);
    }

    @Override
    public String policyName() {
        return policy.name();
    }

    @Override
    public void addListener(RequestListener listener) {
        if (listener == null) {
            throw new NullPointerException("listener");
        }
        synchronized (tenantLock) {
            RequestListener[] old = listeners;
            RequestListener[] grown = Arrays.copyOf(old, old.length + 1);
            grown[old.length] = listener;
            listeners = grown;
        }
    }

    @Override
    public SchedulerStats stats() {
        for (;;) {
            long v = statsVersion; // volatile read: acquires the last complete publication
            if ((v & 1) == 0) {
                long finished = pubFinished;
                long cancelled = pubCancelled;
                long preemptions = pubPreemptions;
                long promptTokens = pubPromptTokens;
                long generationTokens = pubGenerationTokens;
                long steps = pubSteps;
                long failedSteps = pubFailedSteps;
                int running = pubRunning;
                int blocksUsed = pubBlocksUsed;
                int budget = pubBudget;
                int cap = pubMaxRunning;
                VarHandle.acquireFence(); // the reads above complete before the version is checked again
                if (statsVersion == v) {
                    return new SchedulerStats(waitingPermits.get(), running, totalBlocks, blocksUsed, submittedCount.get(),
                            rejectedCount.get(), finished, cancelled, failedCount.get(), preemptions, promptTokens,
                            generationTokens, steps, failedSteps, budget, cap);
                }
            }
            Thread.onSpinWait(); // the engine thread is copying a dozen fields: a few nanoseconds
        }
    }

    /** Copies the engine-thread counters for {@link #stats()}; engine thread (or the closing owner) only. */
    private void publishStats() {
        long v = statsVersion;
        statsVersion = v + 1;
        VarHandle.storeStoreFence(); // the copies below may not become visible before the odd version
        pubFinished = finishedCount;
        pubCancelled = cancelledCount;
        pubPreemptions = preemptionCount;
        pubPromptTokens = promptTokenCount;
        pubGenerationTokens = generationTokenCount;
        pubSteps = stepCount;
        pubFailedSteps = failedStepCount;
        pubRunning = runningCount;
        pubBlocksUsed = totalBlocks - freeBlocks;
        pubBudget = adaptive.budget();
        pubMaxRunning = adaptive.maxRunning();
        statsVersion = v + 2; // volatile write: releases the copies
    }

    /**
     * Marks the scheduler closed and, if the engine thread is between calls, fails every pending request now on
     * this thread; otherwise the engine thread does it as its current call returns. Never blocks.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tryCloseOwnership();
        if (ownedExecutor != null) {
            ownedExecutor.shutdown(); // queued predictions see `closed` and skip the predictor
        }
    }

    /** Takes the engine state if nobody holds it and fails what is left; the winner of the CAS does it once. */
    private void tryCloseOwnership() {
        if (gate.compareAndSet(IDLE, CLOSING)) {
            failEverythingLeft();
            publishStats();
            gate.set(CLOSED);
            failInboxAfterClose();
            if (predictionsInFlight.get() == 0) {
                closePredictor();
            }
        }
    }

    /** Owner of the engine state only: fails queued and running requests and resets the accounting. */
    private void failEverythingLeft() {
        for (int i = 0; i < knownTenants; i++) {
            Tenant t = tenants[i];
            Req q = t.head;
            while (q != null) {
                Req next = q.next;
                q.prev = null;
                q.next = null;
                releasePermit(q);
                failClosed(q);
                q = next;
            }
            t.head = null;
            t.tail = null;
            t.waiting = 0;
            t.activePos = -1;
        }
        activeCount = 0;
        waitingEngine = 0;
        int n = runningCount;
        beginRunningChange();
        for (int i = 0; i < n; i++) {
            Req r = running[i];
            r.generated = runGenerated[i];
            r.computed = runComputed[i];
            r.runIndex = -1;
            tenantRunning[r.tenantIndex]--;
        }
        runningCount = 0;
        endRunningChange();
        for (int i = 0; i < n; i++) {
            // outside the change: its listeners may read the live count. The slot is not cleared: the batch that may
            // still be out (the engine thread running it) reads its decode entries' requests from this array
            failClosed(running[i]);
        }
        Arrays.fill(prefilling, 0, prefillingCount, null);
        prefillingCount = 0;
        freeBlocks = totalBlocks;
    }

    /**
     * Fails the submissions not yet drained; any thread, once the engine state is CLOSED (before that, the thread
     * that closes it drains the inbox after setting CLOSED). One thread at a time, so request listeners, which may
     * see these terminal events on a submitting thread, are never called from two threads at once.
     */
    private void failInboxAfterClose() {
        if (gate.get() != CLOSED) {
            return;
        }
        synchronized (inbox) {
            Req r;
            while ((r = inbox.poll()) != null) {
                releasePermit(r);
                failClosed(r);
            }
        }
    }

    private void failClosed(Req r) {
        if (!r.status.isTerminal()) {
            r.finishedAt = ticker.read();
            r.setStatus(RequestStatus.FAILED);
            failedCount.incrementAndGet();
            notifyTerminal(r, null);
            r.future.completeExceptionally(new EquinoxException("scheduler closed before request " + r.id + " of tenant '"
                    + r.tenant.id + "' finished"));
        }
    }

    private void closePredictor() {
        if (predictorClosed.compareAndSet(false, true)) {
            closeQuietly(predictor);
            if (fallback != predictor) {
                closeQuietly(fallback);
            }
        }
    }

    private static void closeQuietly(Predictor p) {
        try {
            p.close();
        } catch (RuntimeException e) {
            LOG.warn("closing predictor {} failed", p.name(), e);
        }
    }

    /** Enters an engine call; false when the scheduler is closed. */
    private boolean enter() {
        if (gate.compareAndSet(IDLE, BUSY)) {
            return true;
        }
        if (gate.get() == BUSY) {
            throw new IllegalStateException("nextBatch/complete/fail called from two threads at once: they belong to the engine thread");
        }
        return false;
    }

    /** Leaves an engine call: publishes statistics, releases the gate, and finishes a close that came meanwhile. */
    private void exit() {
        publishStats();
        gate.set(IDLE);
        if (closed) {
            tryCloseOwnership();
        }
    }

    // ------------------------------------------------------------------ engine thread: intake

    private void drain() {
        syncTenants();
        if (weightsDirty) {
            weightsDirty = false;
            for (int i = 0; i < knownTenants; i++) {
                Tenant t = tenants[i];
                double w = t.requestedWeight;
                if (w != t.weight) {
                    t.weight = w;
                    policy.onWeightChanged(i);
                }
            }
        }
        Req r;
        while ((r = inbox.poll()) != null) {
            if (r.tenant.index >= knownTenants) {
                syncTenants(); // the tenant was created after the table was read above
            }
            if (r.cancelRequested()) {
                releasePermit(r);
                terminate(r, RequestStatus.CANCELLED, FinishReason.ABORT);
                continue;
            }
            if (!predictor.isBlocking()) {
                int own = ownPrediction(r.spec);
                r.setOwnPredictionOnEngine(own);
                r.predicted = own > 0 ? own : fallbackPrediction(r.spec);
            } else {
                int ready = r.ownPrediction;
                r.predicted = ready > 0 ? ready : fallbackPrediction(r.spec);
            }
            r.seq = seqCounter++;
            enqueue(r, false);
        }
        while ((r = predictionsArrived.poll()) != null) {
            // a prediction for a request already waiting at the head of its queue: taken up now, so that the policy
            // ranks the head on it (a request behind the head takes it up when it becomes the head; one not drained
            // yet, at its drain)
            if (r.status == RequestStatus.QUEUED && r.tenant.head == r) {
                refreshPrediction(r);
            }
        }
        while ((r = cancels.poll()) != null) {
            applyCancel(r);
        }
    }

    /** Adopts tenants created by callers since the last look (the table only grows). */
    private void syncTenants() {
        int n = tenantCount; // before the array: a table read after the count holds every entry below it
        if (n > knownTenants) {
            Tenant[] ts = tenantArray;
            tenants = ts;
            if (n > tenantRunning.length) {
                tenantRunning = Arrays.copyOf(tenantRunning, Math.max(n, tenantRunning.length * 2));
            }
            for (int i = knownTenants; i < n; i++) {
                ts[i].weight = ts[i].requestedWeight;
                policy.onWeightChanged(i);
            }
            knownTenants = n;
        }
    }

    /** The (non-blocking) predictor's prediction, clamped; 0 if it failed (the caller then asks the fallback). */
    private int ownPrediction(RequestSpec spec) {
        try {
            return clampPrediction(predictor.predict(spec).outputTokens(), spec);
        } catch (RuntimeException e) {
            LOG.debug("predictor {} failed; the fallback is used", predictor.name(), e);
            return 0;
        }
    }

    /** The fallback predictor's prediction, clamped; the request's output cap if the fallback fails too. */
    private int fallbackPrediction(RequestSpec spec) {
        try {
            return clampPrediction(fallback.predict(spec).outputTokens(), spec);
        } catch (RuntimeException e) {
            LOG.debug("fallback predictor {} failed; the output cap is used", fallback.name(), e);
            return spec.maxOutputTokens();
        }
    }

    static int clampPrediction(int tokens, RequestSpec spec) {
        return Math.max(1, Math.min(tokens, spec.maxOutputTokens()));
    }

    private void enqueue(Req r, boolean front) {
        Tenant t = r.tenant;
        if (r.status != RequestStatus.QUEUED) {
            r.setStatus(RequestStatus.QUEUED); // put back after running
        }
        boolean wasEmpty = t.waiting == 0;
        if (front) {
            t.addInOrder(r);
        } else {
            t.addLast(r);
        }
        waitingEngine++;
        if (wasEmpty) {
            if (activeCount == active.length) {
                active = Arrays.copyOf(active, activeCount * 2);
            }
            t.activePos = activeCount;
            active[activeCount++] = t.index;
            takeUpPrediction(r);
            policy.onBacklogged(t.index);
        } else if (t.head == r) {
            takeUpPrediction(r);
            policy.onHeadChanged(t.index); // put back in front of the requests that arrived after it
        }
    }

    /**
     * A request becoming its tenant's queue head takes up its asynchronous prediction if that has arrived, so the
     * policy ranks the head on it rather than on the fallback's (a prediction arriving while it is head already is
     * taken up at the next drain).
     */
    private static void takeUpPrediction(Req head) {
        int ready = head.ownPrediction;
        if (ready > 0) {
            head.predicted = ready;
        }
    }

    private void dequeue(Req r) {
        Tenant t = r.tenant;
        boolean wasHead = t.head == r;
        t.remove(r);
        waitingEngine--;
        if (t.waiting == 0) {
            int pos = t.activePos;
            int last = active[--activeCount];
            active[pos] = last;
            tenants[last].activePos = pos;
            t.activePos = -1;
            policy.onIdle(t.index);
        } else if (wasHead) {
            takeUpPrediction(t.head);
            policy.onHeadChanged(t.index);
        }
    }

    private void releasePermit(Req r) {
        waitingPermits.decrementAndGet();
        r.tenant.waitingPermits.decrementAndGet();
    }

    private void applyCancel(Req r) {
        if (r.status == RequestStatus.QUEUED && r.runIndex < 0 && r.tenant.activePos >= 0 && isQueued(r)) {
            dequeue(r);
            releasePermit(r);
            if (r.firstScheduledAt >= 0) {
                policy.onFinished(r); // put back after running: the policy charged it and settles (refunds) now
            }
            terminate(r, RequestStatus.CANCELLED, FinishReason.ABORT);
        } else if (r.status == RequestStatus.RUNNING) {
            removeRunning(r);
            policy.onFinished(r);
            terminate(r, RequestStatus.CANCELLED, FinishReason.ABORT);
        }
    }

    private static boolean isQueued(Req r) {
        return r.prev != null || r.tenant.head == r;
    }

    // ------------------------------------------------------------------ engine thread: steps

    @Override
    public Batch nextBatch() {
        if (!enter()) {
            // closed: nothing runs any more (the batch is the engine thread's; the closing owner never touches it)
            batch.reset(nextStep++);
            batch.seal();
            batch.issued = false;
            batchOut = false;
            return batch;
        }
        try {
            if (batchOut) {
                throw new InvalidStepException("step " + batch.stepId + " was neither completed nor failed before nextBatch()");
            }
            drain();
            batch.reset(nextStep++);
            if (mode == BatchingMode.VTC_REFERENCE) {
                formReference();
            } else {
                formStallFree();
            }
            batch.seal();
            batchOut = !batch.isEmpty();
            batch.issued = batchOut;
            return batch;
        } finally {
            exit();
        }
    }

    private void formStallFree() {
        int budget = adaptive.budget();
        int cap = adaptive.maxRunning();
        // 1. every running decode gets the KV it needs for one more token and its batch entry, in one pass over the
        // running set's arrays. A preemption (memory ran out) moves the last running request into the victim's
        // slot, which may lie behind the scan: then the decode entries are dropped and the pass starts over (the
        // requests that got their block keep it and pass the check), so the batch holds exactly the running
        // decodes, in running order.
        boolean again = true;
        while (again) {
            again = false;
            // the requests in prefill split the running set into runs of decodes; they are found from the
            // prefilling list (a few requests), not by testing every running request
            int m = prefillingIndices();
            int from = 0;
            for (int p = 0; p <= m; p++) {
                int to = p < m ? prefillIdx[p] : runningCount;
                long computedSum = growDecodes(from, to);
                if (computedSum < 0) {
                    batch.dropDecodes();
                    again = true;
                    break;
                }
                addDecodes(from, to, computedSum);
                from = to + 1;
            }
        }
        batch.endDecodes(running);
        budget -= batch.decodeCount;
        // 3. prompts already in prefill, in admission order
        for (int i = 0; i < prefillingCount && budget > 0; i++) {
            Req r = prefilling[i];
            int computed = runComputed[r.runIndex];
            int chunk = Math.min(Math.min(r.prefillTarget - computed, chunkSize), budget);
            batch.addPrefill(r, computed, chunk);
            budget -= chunk;
        }
        // 4. admissions
        while (budget > 0 && runningCount < cap && activeCount > 0) {
            int t = policy.selectTenant();
            if (t < 0) {
                break;
            }
            Req r = tenants[t].head;
            int target = r.prompt() + r.generated;
            refreshPrediction(r);
            long reserve = Math.min((long) r.prompt() + r.maxOutput,
                    target + (long) Math.ceil(Math.max(1, r.predicted - r.generated) * (1 + kvMargin)));
            int need = blocksFor(reserve);
            if (need > freeBlocks) {
                break; // head-of-line: the selected tenant is not overtaken
            }
            admit(r, need, target);
            int chunk = Math.min(Math.min(target, chunkSize), budget);
            batch.addPrefill(r, 0, chunk);
            budget -= chunk;
        }
    }

    /** The running indices of the requests in prefill, ascending, into {@link #prefillIdx}; returns how many. */
    private int prefillingIndices() {
        int m = prefillingCount;
        if (prefillIdx.length < m) {
            prefillIdx = new int[Math.max(m, prefillIdx.length * 2)];
        }
        int[] idx = prefillIdx;
        if (m > 32) { // many in prefill (long chunked prompts): one pass over the running set, sorted as it goes
            int k = 0;
            for (int i = 0; i < runningCount; i++) {
                if (runComputed[i] < runTarget[i]) {
                    idx[k++] = i;
                }
            }
            return k;
        }
        for (int k = 0; k < m; k++) { // insertion sort: a few entries
            int v = prefilling[k].runIndex;
            int q = k;
            while (q > 0 && idx[q - 1] > v) {
                idx[q] = idx[q - 1];
                q--;
            }
            idx[q] = v;
        }
        return m;
    }

    /**
     * Gives each running decode at indices {@code from .. to - 1} the KV for one more token: a free block when it
     * crosses a block boundary, read and written in the running arrays. When none is free the policy's victim is
     * preempted (ensureBlocks). Returns the run's computed tokens summed (its decodes' context), or -1 after any
     * preemption, since that moves a request into the victim's slot.
     */
    private long growDecodes(int from, int to) {
        int[] computed = runComputed;
        int[] blocks = runBlocks;
        int bs = blockSize;
        long context = 0;
        for (int i = from; i < to; i++) {
            int c = computed[i];
            context += c;
            if (c + 1 > blocks[i] * bs) {
                if (freeBlocks > 0) { // one more token needs one more block at most
                    freeBlocks--;
                    blocks[i]++;
                    continue;
                }
                long preemptionsBefore = preemptionCount;
                ensureBlocks(running[i], c + 1);
                if (preemptionCount != preemptionsBefore) {
                    return -1;
                }
            }
        }
        return context;
    }

    /** Decode entries for the running requests at indices {@code from .. to - 1} (none in prefill), whose computed tokens sum to {@code computedSum}. */
    private void addDecodes(int from, int to, long computedSum) {
        if (to > from) {
            batch.addDecodes(runId, runTenant, runComputed, from, to - from, computedSum);
        }
    }

    /** VTC reference mode's prefill token budget: the artifact's batch_max_tokens = max(capacity / 6, 3072). */
    private int vtcPrefillBudget() {
        return BatchingMode.VTC_REFERENCE.tokenBudget(configuredBudget, (long) totalBlocks * blockSize);
    }

    /** Takes up r's asynchronous prediction if it has arrived; r is its tenant's queue head, so the policy is told. */
    private void refreshPrediction(Req r) {
        int ready = r.ownPrediction;
        if (ready > 0 && ready != r.predicted) {
            r.predicted = ready;
            policy.onHeadChanged(r.tenantIndex);
        }
    }

    /** Grows r's KV to hold {@code tokens}; returns false if r itself was preempted. */
    private boolean ensureBlocks(Req r, int tokens) {
        int need = blocksFor(tokens);
        while (runBlocks[r.runIndex] < need) { // r's running index moves when a preemption swaps another into place
            if (freeBlocks > 0) {
                freeBlocks--;
                runBlocks[r.runIndex]++;
                continue;
            }
            Req victim = (Req) policy.selectVictim(r);
            if (victim == null || victim.runIndex < 0) {
                victim = r;
            }
            preempt(victim);
            if (victim == r) {
                return false;
            }
        }
        return true;
    }

    private void admit(Req r, int blocks, int target) {
        boolean readmitted = r.firstScheduledAt >= 0;
        dequeue(r);
        releasePermit(r);
        freeBlocks -= blocks;
        r.computed = 0;
        r.prefillTarget = target;
        r.admitSeq = admitCounter++;
        if (!readmitted) {
            r.firstScheduledAt = ticker.read();
        }
        r.setStatus(RequestStatus.RUNNING); // after the timestamp it publishes
        addRunning(r, blocks);
        if (prefillingCount == prefilling.length) {
            prefilling = Arrays.copyOf(prefilling, prefillingCount * 2);
        }
        prefilling[prefillingCount++] = r;
        policy.onAdmitted(r, readmitted);
        for (RequestListener l : listeners) {
            l.onAdmitted(r, batch.stepId);
        }
    }

    private void addRunning(Req r, int blocks) {
        beginRunningChange();
        if (runningCount == running.length) {
            int n = runningCount * 2;
            running = Arrays.copyOf(running, n);
            runComputed = Arrays.copyOf(runComputed, n);
            runTarget = Arrays.copyOf(runTarget, n);
            runBlocks = Arrays.copyOf(runBlocks, n);
            runTenant = Arrays.copyOf(runTenant, n);
            runId = Arrays.copyOf(runId, n);
            runGenerated = Arrays.copyOf(runGenerated, n);
            runMaxOut = Arrays.copyOf(runMaxOut, n);
            runScratch0 = Arrays.copyOf(runScratch0, n);
            runScratch1 = Arrays.copyOf(runScratch1, n);
        }
        int i = runningCount++;
        r.runIndex = i;
        running[i] = r;
        runComputed[i] = r.computed;
        runTarget[i] = r.prefillTarget;
        runBlocks[i] = blocks;
        runTenant[i] = r.tenantIndex;
        runId[i] = r.id;
        runGenerated[i] = r.generated;
        runMaxOut[i] = r.maxOutput;
        runScratch0[i] = r.scratch0;
        runScratch1[i] = r.scratch1;
        endRunningChange();
        tenantRunning[r.tenantIndex]++;
    }

    /**
     * Takes r out of the running set: its KV blocks are freed and the values kept only in the running arrays
     * (computed and generated tokens, scratch values) are written back to it.
     */
    private void removeRunning(Req r) {
        int i = r.runIndex;
        boolean inPrefill = runComputed[i] < runTarget[i];
        int blocks = runBlocks[i];
        beginRunningChange();
        r.computed = runComputed[i];
        r.generated = runGenerated[i];
        r.scratch0 = runScratch0[i];
        r.scratch1 = runScratch1[i];
        int l = --runningCount;
        Req last = running[l];
        running[i] = last;
        runComputed[i] = runComputed[l];
        runTarget[i] = runTarget[l];
        runBlocks[i] = runBlocks[l];
        runTenant[i] = runTenant[l];
        runId[i] = runId[l];
        runGenerated[i] = runGenerated[l];
        runMaxOut[i] = runMaxOut[l];
        runScratch0[i] = runScratch0[l];
        runScratch1[i] = runScratch1[l];
        last.runIndex = i;
        running[l] = null;
        r.runIndex = -1;
        endRunningChange();
        tenantRunning[r.tenantIndex]--;
        freeBlocks += blocks;
        if (inPrefill) {
            removePrefilling(r);
        }
    }

    private void beginRunningChange() {
        RUN_VERSION.setRelease(this, runVersion + 1); // odd (only the engine thread writes it)
        VarHandle.storeStoreFence(); // the changes below may not become visible before the odd version
    }

    private void endRunningChange() {
        RUN_VERSION.setRelease(this, runVersion + 1); // even: releases the changes
    }

    /**
     * Output tokens r has produced, from any thread: from the running arrays while r runs (its own field is written
     * back when it stops), read under {@link #runVersion} so that a swap moving r to another running index never
     * yields another request's count. A reader that keeps meeting a change (the engine thread descheduled inside
     * one) settles for r's last written-back count rather than spin.
     */
    int liveGenerated(Req r) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int v = (int) RUN_VERSION.getAcquire(this);
            if ((v & 1) == 0) {
                int i = r.runIndex;
                int g = r.generated;
                if (i >= 0) {
                    Req[] rs = running;
                    int[] gs = runGenerated;
                    g = i < rs.length && i < gs.length && rs[i] == r ? gs[i] : -1;
                }
                VarHandle.loadLoadFence(); // the reads above may not be satisfied after the version re-read
                if (g >= 0 && (int) RUN_VERSION.getAcquire(this) == v) {
                    return g;
                }
            }
            Thread.onSpinWait();
        }
        return r.generated;
    }

    private void removePrefilling(Req r) {
        for (int i = 0; i < prefillingCount; i++) {
            if (prefilling[i] == r) {
                System.arraycopy(prefilling, i + 1, prefilling, i, prefillingCount - i - 1);
                prefilling[--prefillingCount] = null;
                return;
            }
        }
    }

    private void preempt(Req r) {
        requeue(r);
        r.preemptions++;
        preemptionCount++;
        for (RequestListener l : listeners) {
            l.onPreempted(r);
        }
    }

    /** Frees r's KV and puts it back first in its tenant's queue, keeping its produced tokens. */
    private void requeue(Req r) {
        r.requeues++;
        removeRunning(r);
        r.computed = 0;
        r.prefillTarget = 0;
        waitingPermits.incrementAndGet();
        r.tenant.waitingPermits.incrementAndGet();
        enqueue(r, true);
        policy.onPreempted(r);
    }

    // ------------------------------------------------------------------ VTC reference mode

    private void formReference() {
        boolean tryJoin = runningCount == 0 || decodeStepsSinceJoin >= VTC_JOIN_EVERY;
        if (tryJoin && activeCount > 0) {
            int capacityTokens = totalBlocks * blockSize;
            int prefillBudget = vtcPrefillBudget();
            int admitted = 0;
            int tokens = 0;
            while (activeCount > 0) {
                int t = policy.selectTenant();
                if (t < 0) {
                    break;
                }
                Req r = tenants[t].head;
                int target = r.prompt() + r.generated;
                if (tokens + target > prefillBudget || runningCount + 1 > VTC_MAX_RUNNING || !vtcFits(r, capacityTokens)) {
                    break;
                }
                refreshPrediction(r);
                admit(r, 0, target);
                batch.addPrefill(r, 0, target);
                tokens += target;
                admitted++;
            }
            if (admitted > 0) {
                decodeStepsSinceJoin = 0;
                return;
            }
        }
        long computedSum = 0;
        for (int i = 0; i < runningCount; i++) {
            computedSum += runComputed[i];
        }
        addDecodes(0, runningCount, computedSum);
        batch.endDecodes(running);
        if (runningCount > 0) {
            decodeStepsSinceJoin++;
        }
    }

    /** The artifact's admission check: need = max_i(left_i * (i+1) + sum_{k<=i} held_k) < capacity. */
    private boolean vtcFits(Req candidate, int capacityTokens) {
        int n = runningCount + 1;
        if (vtcScratch.length < n) {
            vtcScratch = new long[Math.max(n, vtcScratch.length * 2)];
        }
        // pack (left, held) into one long sorted by left: left in the high 32 bits
        for (int i = 0; i < runningCount; i++) {
            int g = runGenerated[i];
            long held = running[i].prompt() + g;
            long left = Math.max(0, runMaxOut[i] - g - 1);
            vtcScratch[i] = (left << 32) | held;
        }
        long cHeld = candidate.prompt() + candidate.generated + 1L;
        long cLeft = Math.max(0, candidate.maxOutput - candidate.generated - 1);
        vtcScratch[runningCount] = (cLeft << 32) | cHeld;
        Arrays.sort(vtcScratch, 0, n); // ascending: walk from the end for descending `left`
        long sumHeld = 0;
        long need = 0;
        for (int i = 0; i < n; i++) {
            long packed = vtcScratch[n - 1 - i];
            long left = packed >>> 32;
            sumHeld += packed & 0xffffffffL;
            need = Math.max(need, left * (i + 1) + sumHeld);
        }
        return need < capacityTokens;
    }

    // ------------------------------------------------------------------ engine thread: completion

    @Override
    public void complete(Batch b, long durationNanos, double gpuUtilization) {
        if (!enter()) {
            ignoreAfterClose(b);
            return;
        }
        try {
            checkOut(b);
            if (durationNanos < 0) {
                throw new InvalidStepException("step " + b.stepId + ": duration must be >= 0 ns, got " + durationNanos);
            }
            if (!Double.isNaN(gpuUtilization) && (gpuUtilization < 0 || gpuUtilization > 1)) {
                throw new InvalidStepException("step " + b.stepId + ": GPU utilization must be in [0, 1] or NaN, got " + gpuUtilization);
            }
            applyCompletion(b, durationNanos, gpuUtilization);
        } finally {
            exit();
        }
    }

    private void applyCompletion(Batch b, long durationNanos, double gpuUtilization) {
        long now = ticker.read();
        int n = b.size;
        // Every entry's request runs, at the running index the batch recorded (removals come after these loops): its
        // counts are in the running arrays. Decodes go by runs of running indices, one token each, so the loop reads
        // three dense arrays and no batch entry; the few entries the engine reported are applied around it (a
        // decode that produced nothing is taken off first, so the run's +1 leaves it unchanged).
        int[] reported = b.reportedEntries;
        int tokens = b.decodeCount;
        for (int k = 0; k < b.reportedCount; k++) {
            int i = reported[k];
            if (i < b.decodeCount && b.produced[i] == 0) {
                runGenerated[b.slot(i)]--;
                tokens--;
            }
        }
        generationTokenCount += tokens;
        int[] computedArr = runComputed;
        int[] generatedArr = runGenerated;
        int[] maxOutArr = runMaxOut;
        for (int run = 0; run < b.runCount; run++) {
            int first = b.runFirst[run];
            int end = first + b.runLength[run];
            int entryMinusIndex = b.runEntry[run] - first;
            for (int j = first; j < end; j++) {
                computedArr[j]++;
                int g = ++generatedArr[j];
                if (g >= maxOutArr[j] || g == 1) {
                    decodeEdge(b, j + entryMinusIndex, g >= maxOutArr[j], now);
                }
            }
        }
        for (int i = b.decodeCount; i < n; i++) {
            int j = b.slot(i);
            int produced = b.produced[i];
            Req r = b.reqs[i];
            int computed = runComputed[j] += b.tokenCount(i);
            if (computed >= runTarget[j]) {
                removePrefilling(r);
            }
            if (!r.promptCounted && computed >= r.prompt()) {
                r.promptCounted = true;
                promptTokenCount += r.prompt();
            }
            int g = runGenerated[j] += produced;
            if (produced > 0) {
                generationTokenCount += produced;
                if (r.firstTokenAt < 0) {
                    firstToken(r, now);
                }
            }
            if (b.finish[i] == Batch.NONE && g >= runMaxOut[j]) {
                b.markLength(i);
            }
        }
        // the requests that finished, taken now: a decode entry's request from the running array, before any leaves it
        int finished = 0;
        byte[] finish = b.finish;
        for (int i = 0; i < n; i++) {
            if (finish[i] != Batch.NONE) {
                if (finished == finishing.length) {
                    finishing = Arrays.copyOf(finishing, finished * 2);
                    finishingReason = Arrays.copyOf(finishingReason, finished * 2);
                }
                finishing[finished] = i < b.decodeCount ? running[b.slot(i)] : b.reqs[i];
                finishingReason[finished++] = finish[i];
            }
        }
        b.finishedCount = finished;
        double seconds = durationNanos / 1e9;
        double util = gpuUtilization;
        if (Double.isNaN(util)) {
            util = costModel.utilization(b.prefillTokens, b.prefillAttendedPairs, b.decodeCount, b.decodeContextTokens);
        }
        policy.onStepCompleted(b, seconds, util);
        adaptive.observe(b, seconds, gpuUtilization);
        if (listeners.length > 0) {
            b.copyDecodeRequests(); // before the running set changes: listeners may read the batch in onStep
        }
        for (int q = 0; q < finished; q++) {
            Req r = finishing[q];
            finishing[q] = null;
            FinishReason reason = Batch.reason(finishingReason[q]);
            removeRunning(r);
            policy.onFinished(r);
            if (reason != FinishReason.ABORT) {
                try {
                    predictor.observe(r.spec, r.generated, r.ownPrediction);
                } catch (RuntimeException e) {
                    LOG.debug("predictor {} failed to observe request {}", predictor.name(), r.id, e);
                }
            }
            terminate(r, reason == FinishReason.ABORT ? RequestStatus.CANCELLED : RequestStatus.FINISHED, reason);
        }
        stepCount++;
        batchOut = false;
        b.issued = false;
        for (RequestListener l : listeners) {
            l.onStep(b, durationNanos, gpuUtilization);
        }
        b.completed();
    }

    /** A decode entry whose request produced its first token (the prefill's was reported as none) or hit its cap. */
    private void decodeEdge(Batch b, int entry, boolean atCap, long now) {
        if (b.producedAt(entry) > 0 && runGenerated[b.slot(entry)] == 1) {
            firstToken(running[b.slot(entry)], now);
        }
        if (atCap && b.finish[entry] == Batch.NONE) {
            b.markLength(entry);
        }
    }

    private void firstToken(Req r, long now) {
        r.firstTokenAt = now;
        for (RequestListener l : listeners) {
            l.onFirstToken(r);
        }
    }

    @Override
    public void fail(Batch b, Throwable cause) {
        if (!enter()) {
            ignoreAfterClose(b);
            return;
        }
        try {
            checkOut(b);
            LOG.warn("step {} failed; re-queueing its {} requests", b.stepId, b.size, cause);
            b.copyDecodeRequests(); // before the running set changes
            for (int i = 0; i < b.size; i++) {
                Req r = b.reqs[i];
                if (r.runIndex >= 0) {
                    requeue(r);
                }
            }
            failedStepCount++;
            batchOut = false;
            b.issued = false; // its requests were copied into it above: it still names them
        } finally {
            exit();
        }
    }

    /** After close the batch that was out is dropped: its requests have failed already. */
    private void ignoreAfterClose(Batch b) {
        if (b == batch) {
            batchOut = false;
            b.issued = false;
        }
    }

    private void checkOut(Batch b) {
        if (b != batch) {
            throw new InvalidStepException("completion for a batch that this scheduler did not issue");
        }
        if (!batchOut) {
            if (b.isEmpty()) {
                throw new InvalidStepException("step " + b.stepId + " is empty: there is nothing to complete");
            }
            throw new InvalidStepException("step " + b.stepId + " was already completed or failed");
        }
    }

    private void terminate(Req r, RequestStatus status, FinishReason reason) {
        r.finishReason = reason;
        r.finishedAt = ticker.read();
        RequestResult result = r.result(status);
        r.setStatus(status);
        if (status == RequestStatus.FINISHED) {
            finishedCount++;
        } else {
            cancelledCount++;
        }
        notifyTerminal(r, result);
        r.future.complete(result);
    }

    /** Listeners must not throw; one that does is logged and skipped, so the request's future still completes. */
    private void notifyTerminal(Req r, RequestResult result) {
        for (RequestListener l : listeners) {
            try {
                l.onTerminal(r, result);
            } catch (RuntimeException e) {
                LOG.warn("request listener {} threw on request {}; ignored", l, r.id, e);
            }
        }
    }

    /** The policy's scratch value {@code k} (0 or 1) of r: from the running arrays while r runs. */
    double scratch(Req r, int k) {
        int i = r.runIndex;
        if (i >= 0) {
            return k == 0 ? runScratch0[i] : runScratch1[i];
        }
        return k == 0 ? r.scratch0 : r.scratch1;
    }

    void setScratch(Req r, int k, double value) {
        int i = r.runIndex;
        if (i >= 0) {
            if (k == 0) {
                runScratch0[i] = value;
            } else {
                runScratch1[i] = value;
            }
        } else if (k == 0) {
            r.scratch0 = value;
        } else {
            r.scratch1 = value;
        }
    }

    /** The running arrays of generated tokens (by running index; reallocated only while admitting). */
    int[] runGenerated() {
        return runGenerated;
    }

    /**
     * Tests: throws if the running arrays disagree with the running requests (index, copied fields), a request's
     * blocks do not cover its computed tokens (stall-free mode), a prefilling request is not in prefill, the running
     * counts by tenant are off, or the blocks held and free do not add up to the cache. Engine thread only.
     */
    void checkRunningArrays() {
        long held = 0;
        int inPrefill = 0;
        for (int i = 0; i < runningCount; i++) {
            Req r = running[i];
            if (r.runIndex != i || runTarget[i] != r.prefillTarget || runTenant[i] != r.tenantIndex || runId[i] != r.id
                    || runMaxOut[i] != r.maxOutput
                    || (mode != BatchingMode.VTC_REFERENCE && (long) runBlocks[i] * blockSize < runComputed[i]) // the reference mode holds no blocks
                    || runGenerated[i] < r.generated || runGenerated[i] > r.maxOutput) {
                throw new IllegalStateException("running index " + i + ": arrays (computed " + runComputed[i] + ", target "
                        + runTarget[i] + ", blocks " + runBlocks[i] + ", generated " + runGenerated[i] + ", id " + runId[i]
                        + ") disagree with " + r + " (runIndex " + r.runIndex + ", target " + r.prefillTarget
                        + ", generated before it ran " + r.generated + ")");
            }
            held += runBlocks[i];
            if (runComputed[i] < runTarget[i]) {
                inPrefill++;
            }
        }
        for (int k = 0; k < prefillingCount; k++) {
            Req r = prefilling[k];
            if (r.runIndex < 0 || running[r.runIndex] != r || runComputed[r.runIndex] >= runTarget[r.runIndex]) {
                throw new IllegalStateException("prefilling " + r + " is not a running request in prefill");
            }
        }
        int[] perTenant = new int[tenantRunning.length];
        for (int i = 0; i < runningCount; i++) {
            perTenant[runTenant[i]]++;
        }
        if (!Arrays.equals(perTenant, tenantRunning)) {
            throw new IllegalStateException("running requests by tenant " + Arrays.toString(perTenant) + " != counted "
                    + Arrays.toString(tenantRunning));
        }
        if (inPrefill != prefillingCount || held + freeBlocks != totalBlocks) {
            throw new IllegalStateException(inPrefill + " running requests in prefill, " + prefillingCount + " listed; "
                    + held + " blocks held + " + freeBlocks + " free != " + totalBlocks);
        }
    }

    /** Tests and diagnostics (engine thread): r's tokens with computed KV, from the running arrays while it runs. */
    int computedOf(Req r) {
        return r.runIndex >= 0 ? runComputed[r.runIndex] : r.computed;
    }

    /** Tests and diagnostics (engine thread): the KV blocks r holds (none unless it runs). */
    int blocksOf(Req r) {
        return r.runIndex >= 0 ? runBlocks[r.runIndex] : 0;
    }

    /** Tests and diagnostics (engine thread): whether r is still computing its prompt (or recomputing after a preemption). */
    boolean inPrefill(Req r) {
        return computedOf(r) < r.prefillTarget;
    }

    int blocksFor(long tokens) {
        return (int) ((tokens + blockSize - 1) / blockSize);
    }

    int waitingEngine() {
        return waitingEngine;
    }

    Map<String, Tenant> tenantsById() {
        return tenantsById;
    }

    // ------------------------------------------------------------------ metrics accessors (any thread)

    @Override
    public Ticker ticker() {
        return ticker;
    }

    /** Tenants the engine has adopted (indices 0 .. n-1 of {@link #tenants}, whose length is a capacity). */
    int knownTenants() {
        return knownTenants;
    }

    @Override
    public TenantStats tenantStats(String tenant) {
        Tenant t = tenantsById.get(tenant);
        if (t == null) {
            return null;
        }
        // racy reads of engine-thread state, as counter(String) does: metrics tolerate a step of lag
        boolean known = t.index < knownTenants;
        int[] running = tenantRunning;
        return new TenantStats(t.id, t.index, t.weight, t.waitingPermits.get(), t.index < running.length ? running[t.index] : 0,
                known ? policy.counter(t.index) : Double.NaN, known ? policy.resourceCounter(t.index) : Double.NaN);
    }
}

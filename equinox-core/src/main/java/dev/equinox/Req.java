package dev.equinox;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

/**
 * The scheduler's record of one request; it is also the caller's {@link RequestHandle}, so submission allocates
 * one object (plus its future). Fields are written by the owner of the engine state (the engine thread, or the
 * thread that closes the scheduler while the engine is between calls), except {@link #cancelRequested} (any
 * thread, CAS), {@link #ownPrediction} (the prediction executor, for a blocking predictor), and the terminal fields of a request failed
 * by close straight from the submission queue (by the one thread that polled it). {@link #status} is read with
 * acquire (volatile) semantics and written last with release semantics, so a caller that sees a terminal status
 * sees the timestamps and counts behind it.
 */
final class Req implements RequestHandle {
    private static final VarHandle STATUS;
    private static final VarHandle CANCEL;
    private static final VarHandle OWN_PREDICTION;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(Req.class, "status", RequestStatus.class);
            CANCEL = MethodHandles.lookup().findVarHandle(Req.class, "cancelRequested", int.class);
            OWN_PREDICTION = MethodHandles.lookup().findVarHandle(Req.class, "ownPrediction", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long id;
    final Tenant tenant;
    final int tenantIndex;    // tenant.index, copied so the per-step passes need not load the Tenant
    final RequestSpec spec;
    final int maxOutput;      // spec.maxOutputTokens(), copied for the completion loop
    final int promptTokens;   // spec.promptTokens(), copied: admitting reads it without loading the spec
    final DefaultScheduler owner;
    final CompletableFuture<RequestResult> future = new CompletableFuture<>();
    /** 1 once a cancel was asked (any thread, CAS through CANCEL): a field, not an AtomicBoolean allocated per request. */
    private volatile int cancelRequested;

    /** Read as a volatile (acquire); written with release stores (setStatus): a publication needs no store-load fence. */
    volatile RequestStatus status;
    /**
     * The scheduler's predictor's own prediction (clamped to the output cap), whether or not it was used: set by the
     * prediction executor for a blocking predictor, by the engine thread otherwise; 0 while there is none (not ready
     * yet, or the predictor failed: a prediction is at least 1). Handed back to {@code Predictor.observe}. Read as a
     * volatile; the engine thread writes it with {@link #setOwnPredictionOnEngine} (a plain store in effect: only
     * the engine reads what it writes), so a new request costs no store-load fence.
     */
    volatile int ownPrediction;

    /** The engine thread's write of {@link #ownPrediction} (non-blocking predictors): opaque, no fence. */
    void setOwnPredictionOnEngine(int tokens) {
        OWN_PREDICTION.setOpaque(this, tokens);
    }

    // engine-thread state
    long seq;                 // arrival order (re-used after preemption so it stays first)
    int predicted;            // output tokens predicted, >= 1
    // generated and computed: while the request runs, the scheduler's running arrays hold the current values and
    // these are written back when it stops (DefaultScheduler.removeRunning); read generatedTokens() for a live count
    int generated;            // output tokens produced, kept across preemption
    int computed;             // tokens whose KV is computed
    int prefillTarget;        // tokens to prefill before decoding (prompt + generated at admission)
    int preemptions;
    int runIndex = -1;        // position in the running array, -1 if not running
    long admitSeq;            // admission order (latest admitted = largest)
    int requeues;             // times put back in its queue (preemption or failed step): its prefill then recomputes
    boolean promptCounted;    // prompt tokens counted in stats (never twice)
    Req prev;                 // tenant queue links
    Req next;
    double scratch0;
    double scratch1;
    long queuedAt = -1;
    long firstScheduledAt = -1;
    long firstTokenAt = -1;
    long finishedAt = -1;
    FinishReason finishReason = FinishReason.NONE;

    Req(long id, Tenant tenant, RequestSpec spec, DefaultScheduler owner) {
        this.id = id;
        this.tenant = tenant;
        this.tenantIndex = tenant.index;
        this.spec = spec;
        this.maxOutput = spec.maxOutputTokens();
        this.promptTokens = spec.promptTokens();
        // a plain store: the request reaches other threads through the submission queue's CAS (or, for the
        // submitter, program order), which publishes it; a volatile initializer would cost a fence per submission
        STATUS.set(this, RequestStatus.QUEUED);
        this.owner = owner;
    }

    /** Publishes a new status (release: the fields written before it are visible to whoever reads it). */
    void setStatus(RequestStatus s) {
        STATUS.setRelease(this, s);
    }

    /** Whether a cancel was asked. */
    boolean cancelRequested() {
        return cancelRequested != 0;
    }

    int prompt() {
        return promptTokens;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String tenant() {
        return tenant.id;
    }

    @Override
    public int tenantIndex() {
        return tenantIndex;
    }

    @Override
    public RequestSpec spec() {
        return spec;
    }

    @Override
    public RequestStatus status() {
        return status;
    }

    @Override
    public int generatedTokens() {
        return owner.liveGenerated(this);
    }

    @Override
    public int predictedOutputTokens() {
        return predicted;
    }

    @Override
    public int preemptions() {
        return preemptions;
    }

    @Override
    public long queuedAtNanos() {
        return queuedAt;
    }

    @Override
    public long firstScheduledAtNanos() {
        return firstScheduledAt;
    }

    @Override
    public long firstTokenAtNanos() {
        return firstTokenAt;
    }

    @Override
    public long finishedAtNanos() {
        return finishedAt;
    }

    @Override
    public CompletableFuture<RequestResult> completion() {
        return future;
    }

    @Override
    public boolean cancel() {
        if (status.isTerminal() || !CANCEL.compareAndSet(this, 0, 1)) {
            return false;
        }
        owner.enqueueCancel(this);
        return true;
    }

    RequestResult result(RequestStatus terminal) {
        return new RequestResult(id, tenant.id, terminal, finishReason, promptTokens, generated, preemptions,
                queuedAt, firstScheduledAt, firstTokenAt, finishedAt);
    }

    @Override
    public String toString() {
        return "Request[" + id + ", tenant=" + tenant.id + ", " + status + ", prompt=" + promptTokens
                + ", generated=" + generatedTokens() + "]";
    }
}

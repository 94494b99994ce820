package dev.equinox;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The scheduler's record of one request; it is also the caller's {@link RequestHandle}, so submission allocates
 * one object (plus its future). Fields are written by the owner of the engine state (the engine thread, or the
 * thread that closes the scheduler while the engine is between calls), except {@link #cancelRequested} (any
 * thread, CAS), {@link #asyncPrediction} (the prediction executor), and the terminal fields of a request failed
 * by close straight from the submission queue (by the one thread that polled it). {@link #status} is volatile
 * and written last, so a caller that sees a terminal status sees the timestamps and counts behind it.
 */
final class Req implements RequestHandle {
    final long id;
    final Tenant tenant;
    final int tenantIndex;    // tenant.index, copied so the per-step passes need not load the Tenant
    final RequestSpec spec;
    final int maxOutput;      // spec.maxOutputTokens(), copied for the completion loop
    final int promptTokens;   // spec.promptTokens(), copied: admitting reads it without loading the spec
    final DefaultScheduler owner;
    final CompletableFuture<RequestResult> future = new CompletableFuture<>();
    final AtomicBoolean cancelRequested = new AtomicBoolean();

    volatile RequestStatus status = RequestStatus.QUEUED;
    /** Set by the prediction executor for blocking predictors; -1 until ready. */
    volatile int asyncPrediction = -1;

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
        this.owner = owner;
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
        return tenant.index;
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
        if (status.isTerminal() || !cancelRequested.compareAndSet(false, true)) {
            return false;
        }
        owner.enqueueCancel(this);
        return true;
    }

    RequestResult result(RequestStatus terminal) {
        return new RequestResult(id, tenant.id, terminal, finishReason, spec.promptTokens(), generated, preemptions,
                queuedAt, firstScheduledAt, firstTokenAt, finishedAt);
    }

    @Override
    public String toString() {
        return "Request[" + id + ", tenant=" + tenant.id + ", " + status + ", prompt=" + spec.promptTokens()
                + ", generated=" + generatedTokens() + "]";
    }
}

package dev.equinox;

/**
 * The fairness-aware scheduler an inference engine embeds. Create one with {@link Equinox#builder()}.
 *
 * <h2>Threading contract</h2>
 * <ul>
 * <li><b>Any thread</b>: {@link #submit}, {@link RequestHandle#cancel()}, {@link #registerTenant},
 * {@link #stats()}, {@link #close()}. None of them blocks: submissions and cancels are handed to the engine
 * thread through a lock-free queue and applied at its next {@link #nextBatch()}.</li>
 * <li><b>The engine thread only</b> (one thread at a time, strictly alternating): {@link #nextBatch()}, then
 * exactly one of {@link #complete} or {@link #fail} for that batch. Two threads inside these methods at once
 * get an {@link IllegalStateException}.</li>
 * </ul>
 *
 * <p>Every accepted request ends in exactly one terminal state ({@link RequestStatus#FINISHED},
 * {@link RequestStatus#CANCELLED} or, when the scheduler is closed first, {@link RequestStatus#FAILED}) and its
 * future completes; a refused one never gets a handle.
 */
public interface Scheduler extends AutoCloseable {

    /**
     * Submits a request. Returns {@link Submission.Accepted} with a handle, or {@link Submission.Rejected} naming
     * the tenant and the reason (queue full in total or for the tenant, unknown tenant, exceeds the context or
     * the KV cache, closed, a null spec). Never throws and never blocks.
     */
    Submission submit(RequestSpec spec);

    /**
     * Registers a tenant with a weight (> 0; shares are proportional to weights), or updates the weight of a
     * known one. Takes effect at the next step.
     *
     * @throws IllegalArgumentException for a blank id or a weight that is not a finite positive number
     * @throws IllegalStateException     for a new tenant when the scheduler already keeps its limit of tenants
     *                                   (the builder's {@code maxTenants})
     */
    void registerTenant(String tenant, double weight);

    /**
     * Forms the next step: continues every running decode, then fills the remaining token budget with prefill
     * chunks of running and newly admitted requests. Returns an empty batch when there is nothing to run. The
     * returned instance is reused: it is valid until {@link #complete} or {@link #fail}.
     *
     * @throws InvalidStepException if the previous batch was neither completed nor failed
     */
    Batch nextBatch();

    /**
     * Reports that the engine ran {@code batch}: tokens (defaults or {@link Batch#report}), finishes, the step's
     * measured duration and, when known, the GPU utilization over it (NaN otherwise).
     *
     * @throws InvalidStepException for a batch that is not the one out (never issued, empty, or already
     *                              completed or failed), a negative duration, or a utilization outside [0, 1]
     *                              (NaN means unknown); the scheduler's state is then unchanged and the batch is
     *                              still out
     */
    void complete(Batch batch, long durationNanos, double gpuUtilization);

    /**
     * Reports that the engine failed to run {@code batch}. Its requests lose their KV memory and go back to the
     * front of their tenants' queues (recomputed later); tokens they produced before stay counted, the failed
     * step is not charged to anyone. Requests of one tenant stay in arrival order.
     *
     * @throws InvalidStepException for a batch that is not the one out
     */
    void fail(Batch batch, Throwable cause);

    /**
     * A snapshot of counts and counters; any thread, never blocks. The engine-side values (finished, running, KV,
     * steps...) all come from the same engine call; submitted, rejected, waiting and failed are read live.
     */
    SchedulerStats stats();

    /** The name of the scheduling policy in use. */
    String policyName();

    /**
     * Adds a listener of request events (engine thread callbacks; must be fast and must not call back into the
     * scheduler). Used by the Micrometer binder and the simulator.
     */
    void addListener(RequestListener listener);

    /**
     * Closes the scheduler; any thread, never blocks, idempotent. New submissions are rejected with
     * {@link Rejection#SHUTDOWN}; every request not yet terminal (waiting, running, in the batch that is out)
     * becomes {@link RequestStatus#FAILED} and its future completes exceptionally with an
     * {@link EquinoxException}: at once on the calling thread when the engine thread is between calls, otherwise
     * on the engine thread as its current call returns (so request listeners may see these terminal events on
     * the closing thread). Afterwards {@link #nextBatch()} returns an empty batch and {@link #complete} /
     * {@link #fail} are ignored. The predictor is closed once no prediction is running on it.
     */
    @Override
    void close();

    /**
     * A snapshot of one tenant's counts and fairness counters, or null for a tenant this scheduler has never
     * seen; any thread. The default returns null (an implementation that keeps no per-tenant state).
     */
    default TenantStats tenantStats(String tenant) {
        return null;
    }

    /**
     * The time source the scheduler stamps requests with (the builder's {@code ticker}); any thread. Adapters that
     * compare times with a handle's timestamps (the Micrometer binder) read it here, so a decorator must forward
     * it (it has no default for that reason).
     */
    Ticker ticker();
}

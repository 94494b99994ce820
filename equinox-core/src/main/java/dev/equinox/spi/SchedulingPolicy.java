package dev.equinox.spi;

import dev.equinox.Batch;
import dev.equinox.RequestHandle;

/**
 * Decides whose request is admitted next, who is preempted when memory runs out, and keeps the per-tenant
 * counters that make those choices fair. The scheduler owns batching (budgets, chunking, KV accounting); the
 * policy owns order and accounting. One instance serves one scheduler: {@link #bind} is called once.
 *
 * <p>All methods run on the engine thread. The call order within a step is: {@link #onBacklogged} for tenants
 * whose waiting queue became non-empty (counter lifting), {@link #onIdle} and {@link #onHeadChanged} as queues
 * empty or change their head, then repeatedly {@link #selectTenant} and
 * {@link #onAdmitted} while the step has room, {@link #selectVictim} / {@link #onPreempted} when KV memory runs
 * out; after the engine ran the step, {@link #onStepCompleted} (tokens already applied, finish reasons final)
 * and {@link #onFinished} for each request that ended.
 *
 * <p>Methods must not throw: the scheduler does not catch a policy's exceptions, so one escapes the engine call
 * ({@code nextBatch}, {@code complete}, {@code fail}) with that step partly applied.
 *
 * <p>Implementations in this library: {@code Policies.fcfs()}, {@code priority()}, {@code vtc()},
 * {@code equinox()}. Each passes the conformance kit in the test jar ({@code SchedulingPolicyConformanceTest}).
 */
public interface SchedulingPolicy {

    /** Stable name for reports and metrics tags. */
    String name();

    /** Attaches this policy to its scheduler. Throws {@link IllegalStateException} if already bound. */
    void bind(SchedulerView view);

    /** Tenant {@code t}'s waiting queue went from empty to non-empty (VTC's counter lifting happens here). */
    void onBacklogged(int tenant);

    /**
     * Tenant {@code t}'s waiting queue became empty: it is no longer among the active tenants. A policy that keeps
     * its own index of backlogged tenants (the bundled ones keep a heap, so that selection never scans them all)
     * removes it here. Default: nothing.
     */
    default void onIdle(int tenant) {
    }

    /**
     * Tenant {@code t}'s queue head changed while the queue stayed non-empty: its head was admitted or cancelled,
     * or a request that ran was put back in front of it; or the head's {@code predictedOutputTokens()} changed (an
     * asynchronous prediction arrived). Default: nothing.
     */
    default void onHeadChanged(int tenant) {
    }

    /** Tenant {@code t}'s weight changed (or it was created). Default: nothing. */
    default void onWeightChanged(int tenant) {
    }

    /**
     * The active tenant whose head request should be admitted next, or -1 to admit nothing more this step. Called
     * only when {@code activeTenantCount() > 0}.
     */
    int selectTenant();

    /**
     * {@code r} (the head of its tenant) was admitted into the running set. Batch formation stops at the first
     * selected head that does not fit (KV memory), as in VTC: a tenant is never overtaken because its request is
     * large. {@code readmitted} is true when {@code r} runs again after a preemption or a failed step: its work
     * was charged already and must not be charged twice.
     */
    void onAdmitted(RequestHandle r, boolean readmitted);

    /**
     * A running request must give up its KV memory so that {@code needy} can grow; returns the victim: any
     * running request, possibly {@code needy} itself.
     */
    RequestHandle selectVictim(RequestHandle needy);

    /** {@code r} was preempted: its KV is freed and it waits at the front of its tenant's queue. */
    default void onPreempted(RequestHandle r) {
    }

    /**
     * The engine completed {@code batch}: produced tokens are applied and finish reasons are final. The measured
     * duration and utilization (NaN when unknown) are given for resource accounting.
     */
    void onStepCompleted(Batch batch, double seconds, double utilization);

    /** {@code r} left the running set for good (finished or cancelled). */
    default void onFinished(RequestHandle r) {
    }

    /**
     * The policy's (user-side) fairness counter of tenant {@code t} for metrics: VTC's virtual token counter, the
     * holistic policy's User Fairness Counter; NaN if it keeps none.
     */
    default double counter(int tenant) {
        return Double.NaN;
    }

    /** The resource-side counter of tenant {@code t} (the holistic policy's Resource Fairness Counter), else NaN. */
    default double resourceCounter(int tenant) {
        return Double.NaN;
    }
}

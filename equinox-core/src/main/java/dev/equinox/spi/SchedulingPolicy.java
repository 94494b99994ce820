package dev.equinox.spi;

import dev.equinox.Batch;
import dev.equinox.RequestHandle;

/**
 * Decides whose request is admitted next, who is preempted when memory runs out, and keeps the per-tenant
 * counters that make those choices fair. The scheduler owns batching (budgets, chunking, KV accounting); the
 * policy owns order and accounting. One instance serves one scheduler: {@link #bind} is called once.
 *
 * <p>All methods run on the engine thread. The call order within a step is: {@link #onBacklogged} for tenants
 * whose waiting queue became non-empty (counter lifting), then repeatedly {@link #selectTenant} and
 * {@link #onAdmitted} while the step has room, {@link #selectVictim} / {@link #onPreempted} when KV memory runs
 * out; after the engine ran the step, {@link #onStepCompleted} (tokens already applied, finish reasons final)
 * and {@link #onFinished} for each request that ended.
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

    /** Tenant {@code t}'s weight changed (or it was created). Default: nothing. */
    default void onWeightChanged(int tenant) {
    }

    /**
     * The active tenant whose head request should be admitted next, or -1 to admit nothing more this step. Called
     * only when {@code activeTenantCount() > 0}.
     */
    int selectTenant();

    /**
     * Whether the batch former may skip a head that does not fit (KV memory) and try the next tenant. VTC stops
     * at the first request that does not fit; default false.
     */
    default boolean skipsUnfitHeads() {
        return false;
    }

    /** {@code r} (the head of its tenant) was admitted into the running set. */
    void onAdmitted(RequestHandle r);

    /**
     * A running request must give up its KV memory; returns the victim (any running request, possibly
     * {@code needy} itself). Default: {@code needy}'s most recently admitted peer... implementations override.
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

    /** The policy's fairness counter of tenant {@code t} (for metrics); NaN if it keeps none. */
    default double counter(int tenant) {
        return Double.NaN;
    }
}

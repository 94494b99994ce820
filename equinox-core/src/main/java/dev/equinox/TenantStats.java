package dev.equinox;

/**
 * A snapshot of one tenant, read from any thread with {@link Scheduler#tenantStats(String)} (for metrics: the
 * Micrometer binder pulls its per-tenant counters from here). Values written by the engine thread are read
 * without synchronisation, so they may lag the engine by a step.
 *
 * @param tenant          tenant id
 * @param index           dense index inside the scheduler ({@link RequestHandle#tenantIndex()})
 * @param weight          weight in effect (shares are proportional to weights)
 * @param waiting         requests waiting, including submissions not yet drained
 * @param running         requests running
 * @param counter         the policy's user-side fairness counter (VTC's virtual token counter, the holistic
 *                        policy's User Fairness Counter), NaN when the policy keeps none
 * @param resourceCounter the policy's resource-side counter (the holistic policy's Resource Fairness Counter),
 *                        NaN when the policy keeps none
 */
public record TenantStats(String tenant, int index, double weight, int waiting, int running, double counter,
        double resourceCounter) {
}

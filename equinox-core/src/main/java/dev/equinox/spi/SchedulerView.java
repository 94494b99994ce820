package dev.equinox.spi;

import dev.equinox.RequestHandle;

/**
 * What a {@link SchedulingPolicy} may read of the scheduler that owns it. Engine thread only; nothing here
 * allocates. Tenants are dense indices {@code 0 .. tenantCount()-1}.
 */
public interface SchedulerView {

    /** Tenants known so far (registered or seen in a submission). */
    int tenantCount();

    /** The id of tenant {@code t}. */
    String tenantId(int t);

    /** The current weight of tenant {@code t} (> 0, default 1). */
    double weight(int t);

    /** Tenants that have at least one waiting request. */
    int activeTenantCount();

    /** The {@code i}-th active tenant, {@code 0 <= i < activeTenantCount()}; order is unspecified. */
    int activeTenant(int i);

    /** The first waiting request of tenant {@code t} (arrival order; preempted requests go back first), or null. */
    RequestHandle head(int t);

    /** Waiting requests of tenant {@code t}. */
    int waitingCount(int t);

    /** Running requests of tenant {@code t}. */
    int runningCount(int t);

    /** Running requests in total. */
    int runningCount();

    /** The {@code i}-th running request; order is unspecified. */
    RequestHandle running(int i);

    /** The scheduler's current time in nanoseconds. */
    long nowNanos();

    /** The engine cost model (never null; a default linear model when none was configured). */
    EngineCostModel costModel();

    /** Output-token weight w_q (default 2) and prompt-token weight w_p (default 1) of the service cost. */
    double outputTokenWeight();

    double promptTokenWeight();

    /** A per-request scratch value the policy owns ({@code slot} 0 or 1), 0 until set. */
    double scratch(RequestHandle r, int slot);

    void setScratch(RequestHandle r, int slot, double value);
}

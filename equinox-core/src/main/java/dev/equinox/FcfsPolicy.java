package dev.equinox;

/**
 * First come, first served across all tenants (vLLM's and TGI's default); with {@code byPriority}, lower
 * {@link RequestSpec#priority()} first, then arrival. The per-tenant queues are in arrival order, so the
 * earliest request is the least of the queue heads: the backlogged tenants sit in a {@link TenantHeap} keyed by
 * (priority, arrival) of their head, updated when a head changes, and the earliest is its minimum (O(1); a scan
 * of 10k tenants per admission cost 1.7 ms a step at 4k running, docs/performance.md). Victim: the lowest
 * priority, then the latest admitted.
 */
final class FcfsPolicy extends BasePolicy {
    private final boolean byPriority;
    private final TenantHeap backlogged = new TenantHeap();

    FcfsPolicy(boolean byPriority) {
        this.byPriority = byPriority;
    }

    @Override
    public String name() {
        return byPriority ? "priority" : "fcfs";
    }

    @Override
    public void onBacklogged(int tenant) {
        Req h = (Req) view.head(tenant);
        backlogged.add(tenant, byPriority ? h.spec.priority() : 0, h.seq);
    }

    @Override
    public void onIdle(int tenant) {
        backlogged.remove(tenant);
    }

    @Override
    public void onHeadChanged(int tenant) {
        Req h = (Req) view.head(tenant);
        backlogged.update(tenant, byPriority ? h.spec.priority() : 0, h.seq);
    }

    @Override
    public int selectTenant() {
        return backlogged.min();
    }

    @Override
    public void onAdmitted(RequestHandle r, boolean readmitted) {
    }

    @Override
    double victimScore(Req r) {
        return byPriority ? r.spec.priority() : 0;
    }

    @Override
    public void onStepCompleted(Batch batch, double seconds, double utilization) {
    }
}

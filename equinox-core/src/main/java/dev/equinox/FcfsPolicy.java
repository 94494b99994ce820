package dev.equinox;

/**
 * First come, first served across all tenants (vLLM's and TGI's default); with {@code byPriority}, lower
 * {@link RequestSpec#priority()} first, then arrival. The earliest head among active tenants is found by a scan
 * of the active tenants (the per-tenant queues are already in arrival order). Victim: the lowest priority, then
 * the latest admitted.
 */
final class FcfsPolicy extends BasePolicy {
    private final boolean byPriority;

    FcfsPolicy(boolean byPriority) {
        this.byPriority = byPriority;
    }

    @Override
    public String name() {
        return byPriority ? "priority" : "fcfs";
    }

    @Override
    public void onBacklogged(int tenant) {
    }

    @Override
    public int selectTenant() {
        int best = -1;
        long bestSeq = Long.MAX_VALUE;
        int bestPrio = Integer.MAX_VALUE;
        for (int i = 0, n = view.activeTenantCount(); i < n; i++) {
            int t = view.activeTenant(i);
            Req h = (Req) view.head(t);
            int prio = byPriority ? h.spec.priority() : 0;
            if (prio < bestPrio || (prio == bestPrio && h.seq < bestSeq)) {
                best = t;
                bestSeq = h.seq;
                bestPrio = prio;
            }
        }
        return best;
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

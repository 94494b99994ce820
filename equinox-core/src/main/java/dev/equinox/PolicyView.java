package dev.equinox;

import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.SchedulerView;

/** The {@link SchedulerView} a policy gets: a thin, allocation-free window on the engine-thread state. */
final class PolicyView implements SchedulerView {
    private final DefaultScheduler s;

    PolicyView(DefaultScheduler s) {
        this.s = s;
    }

    @Override
    public int tenantCount() {
        return s.knownTenants();
    }

    @Override
    public String tenantId(int t) {
        return s.tenants[t].id;
    }

    @Override
    public double weight(int t) {
        return s.tenants[t].weight;
    }

    @Override
    public int activeTenantCount() {
        return s.activeCount;
    }

    @Override
    public int activeTenant(int i) {
        return s.active[i];
    }

    @Override
    public RequestHandle head(int t) {
        return s.tenants[t].head;
    }

    @Override
    public int waitingCount(int t) {
        return s.tenants[t].waiting;
    }

    @Override
    public int runningCount(int t) {
        return s.tenantRunning[t];
    }

    @Override
    public int runningCount() {
        return s.runningCount;
    }

    @Override
    public RequestHandle running(int i) {
        if (i < 0 || i >= s.runningCount) {
            throw new IndexOutOfBoundsException("running " + i + " of " + s.runningCount);
        }
        return s.running[i];
    }

    @Override
    public long nowNanos() {
        return s.ticker.read();
    }

    @Override
    public EngineCostModel costModel() {
        return s.costModel;
    }

    @Override
    public double outputTokenWeight() {
        return s.outputWeight;
    }

    @Override
    public double promptTokenWeight() {
        return s.promptWeight;
    }

    @Override
    public double scratch(RequestHandle r, int slot) {
        return s.scratch((Req) r, slot);
    }

    @Override
    public void setScratch(RequestHandle r, int slot, double value) {
        s.setScratch((Req) r, slot, value);
    }

    /** The scheduler itself, for the bundled policies' per-step loops over its running arrays (same package). */
    DefaultScheduler scheduler() {
        return s;
    }
}

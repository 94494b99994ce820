package dev.equinox.micrometer;

import dev.equinox.Batch;
import dev.equinox.RequestListener;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.SchedulerStats;
import dev.equinox.Submission;
import dev.equinox.TenantStats;
import dev.equinox.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler as {@link EquinoxMetrics#scheduler()} hands it out: a decorator that feeds accepted submissions to
 * the fairness tracker (demand, backlog), registers a new tenant's meters at its first submission, and times
 * {@link #nextBatch()} on the wall clock once the binder is bound.
 * The undecorated scheduler pays nothing for either; this one pays one {@link System#nanoTime()} read per
 * {@code nextBatch()} call and a second per non-empty step. Batches and handles pass through unchanged, so they may be completed on either object.
 */
final class MeteredScheduler implements Scheduler {
    private final Scheduler delegate;
    private final EquinoxMetrics metrics;

    MeteredScheduler(Scheduler delegate, EquinoxMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public Submission submit(RequestSpec spec) {
        Submission s = delegate.submit(spec);
        if (s instanceof Submission.Accepted a) {
            metrics.fairness().onSubmitted(a.handle());
            metrics.seeTenant(a.handle().tenantIndex(), a.handle().tenant());
        }
        return s;
    }

    @Override
    public void registerTenant(String tenant, double weight) {
        delegate.registerTenant(tenant, weight);
    }

    @Override
    public Batch nextBatch() {
        EquinoxMetrics.Meters m = metrics.meters;
        if (m == null) {
            return delegate.nextBatch();
        }
        long t0 = System.nanoTime();
        Batch b = delegate.nextBatch();
        if (!b.isEmpty()) {
            m.nextBatch.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
        return b;
    }

    @Override
    public void complete(Batch batch, long durationNanos, double gpuUtilization) {
        delegate.complete(batch, durationNanos, gpuUtilization);
    }

    @Override
    public void fail(Batch batch, Throwable cause) {
        delegate.fail(batch, cause);
    }

    @Override
    public SchedulerStats stats() {
        return delegate.stats();
    }

    @Override
    public TenantStats tenantStats(String tenant) {
        return delegate.tenantStats(tenant);
    }

    @Override
    public Ticker ticker() {
        return delegate.ticker();
    }

    @Override
    public String policyName() {
        return delegate.policyName();
    }

    @Override
    public void addListener(RequestListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "MeteredScheduler[" + delegate + "]";
    }
}

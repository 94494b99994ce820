package dev.equinox;

import dev.equinox.spi.SchedulerView;
import dev.equinox.spi.SchedulingPolicy;

/**
 * Shared plumbing of the bundled policies: one-time binding and the victim rule "latest admitted among the
 * requests that score worst". Subclasses are package-private and read {@link Req} directly.
 */
abstract class BasePolicy implements SchedulingPolicy {
    SchedulerView view;

    @Override
    public final void bind(SchedulerView v) {
        if (view != null) {
            throw new IllegalStateException("policy " + name() + " is already bound to a scheduler; create one per scheduler");
        }
        view = v;
    }

    /** Victim score of a running request: the largest is preempted (ties: latest admitted). */
    abstract double victimScore(Req r);

    /** Called once before a victim scan (to precompute what {@link #victimScore} needs). */
    void beforeVictimScan() {
    }

    @Override
    public final RequestHandle selectVictim(RequestHandle needy) {
        beforeVictimScan();
        Req best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0, n = view.runningCount(); i < n; i++) {
            Req r = (Req) view.running(i);
            double s = victimScore(r);
            if (best == null || s > bestScore || (s == bestScore && r.admitSeq > best.admitSeq)) {
                best = r;
                bestScore = s;
            }
        }
        return best == null ? needy : best;
    }

    @Override
    public String toString() {
        return name();
    }
}

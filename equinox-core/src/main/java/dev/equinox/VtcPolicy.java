package dev.equinox;

import java.util.Arrays;

/**
 * The Virtual Token Counter (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024), with the
 * exact charging rules of its artifact so that comparisons against published numbers are like for like:
 * <ul>
 * <li>cost w_p per prompt token charged at admission, w_q per output token charged for each decode step the
 * request takes part in (the first token, made by the prefill, is not charged), every charge divided by the
 * tenant's weight;</li>
 * <li>after a step in which a request of the batch finished, every token-producing request of that batch is
 * charged w_q once more (the artifact's router does this before removing finished requests);</li>
 * <li>counter lifting: when a tenant's queue becomes non-empty, c_i = max(c_i, min over other backlogged
 * tenants);</li>
 * <li>selection: the backlogged tenant with the smallest counter (ties: the tenant seen first) offers its
 * queue head; batch formation stops at the first head that does not fit.</li>
 * </ul>
 * With {@code predicted}, the length-prediction variant: prompt plus predicted output charged at admission,
 * only tokens beyond the prediction charged per step, the unused prediction refunded at finish.
 * A preempted request is never charged twice: re-admission charges nothing. Victim: the running request of the
 * tenant with the largest counter (ties: latest admitted).
 */
final class VtcPolicy extends BasePolicy {
    private final boolean predicted;
    private double[] c = new double[16];

    VtcPolicy(boolean predicted) {
        this.predicted = predicted;
    }

    @Override
    public String name() {
        return predicted ? "vtc-predict" : "vtc";
    }

    private void ensure(int t) {
        if (t >= c.length) {
            c = Arrays.copyOf(c, Math.max(t + 1, c.length * 2));
        }
    }

    @Override
    public void onWeightChanged(int tenant) {
        ensure(tenant);
    }

    @Override
    public void onBacklogged(int tenant) {
        ensure(tenant);
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0, n = view.activeTenantCount(); i < n; i++) {
            int t = view.activeTenant(i);
            if (t != tenant && c[t] < min) {
                min = c[t];
            }
        }
        if (min != Double.POSITIVE_INFINITY && min > c[tenant]) {
            c[tenant] = min;
        }
    }

    @Override
    public int selectTenant() {
        int best = -1;
        double bestC = Double.POSITIVE_INFINITY;
        for (int i = 0, n = view.activeTenantCount(); i < n; i++) {
            int t = view.activeTenant(i);
            double v = c[t];
            if (v < bestC || (v == bestC && t < best)) {
                best = t;
                bestC = v;
            }
        }
        return best;
    }

    @Override
    public void onAdmitted(RequestHandle r, boolean readmitted) {
        if (readmitted) {
            return;
        }
        int t = r.tenantIndex();
        double cost = view.promptTokenWeight() * r.spec().promptTokens();
        if (predicted) {
            int p = r.predictedOutputTokens();
            view.setScratch(r, 0, p);
            cost += view.outputTokenWeight() * p;
        }
        c[t] += cost / view.weight(t);
    }

    @Override
    public void onStepCompleted(Batch b, double seconds, double utilization) {
        double wq = view.outputTokenWeight();
        boolean anyFinished = false;
        for (int i = 0, n = b.size(); i < n; i++) {
            RequestHandle r = b.request(i);
            if (b.finishReason(i) != FinishReason.NONE) {
                anyFinished = true;
            }
            if (b.isPrefill(i)) {
                continue;
            }
            int t = r.tenantIndex();
            if (!predicted) {
                c[t] += wq / view.weight(t);
            } else if (r.generatedTokens() > view.scratch(r, 0)) {
                c[t] += wq / view.weight(t);
                view.setScratch(r, 0, r.generatedTokens());
            }
        }
        if (anyFinished && !predicted) {
            for (int i = 0, n = b.size(); i < n; i++) {
                if (b.producesToken(i)) {
                    int t = b.request(i).tenantIndex();
                    c[t] += wq / view.weight(t);
                }
            }
        }
    }

    @Override
    public void onFinished(RequestHandle r) {
        if (predicted) {
            double unused = view.scratch(r, 0) - r.generatedTokens();
            if (unused > 0) {
                int t = r.tenantIndex();
                c[t] -= view.outputTokenWeight() * unused / view.weight(t);
            }
        }
    }

    @Override
    double victimScore(Req r) {
        return c[r.tenant.index];
    }

    @Override
    public double counter(int tenant) {
        return tenant < c.length ? c[tenant] : Double.NaN;
    }
}

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
 * With {@code predicted}, the length-prediction variant ({@code vtc_pred_len_req_queue.py}): prompt plus
 * predicted output p charged at admission; a decode step is charged w_q when the request had already produced
 * more than p tokens before it (the artifact charges before the step); after a step in which a request finished,
 * every token-producing request of the batch that is now past p is charged w_q once more; the unused prediction
 * is refunded at finish. A request that finishes past its prediction is thus charged exactly its n - p extra
 * tokens; the one over-charge the artifact has, for a request past its prediction in a step where another
 * finished, is kept.
 *
 * <p>Preemption is not in the artifact; here a preempted request is never charged twice: re-admission charges
 * nothing, the recomputed prefill is not charged, and the token that prefill yields is charged like a decode
 * (unless it is the request's first). Victim: the running request of the tenant with the largest counter (ties:
 * latest admitted).
 */
final class VtcPolicy extends BasePolicy {
    private final boolean predicted;
    private double[] c = new double[16];
    /** 1 / weight by tenant, refreshed in {@link #onWeightChanged}: charges read no tenant object. */
    private double[] invWeight = new double[16];
    /** The backlogged tenants by counter (ties: the tenant seen first): selection and lifting in O(1). */
    private final TenantHeap backlogged = new TenantHeap(t -> c[t]);

    VtcPolicy(boolean predicted) {
        this.predicted = predicted;
    }

    @Override
    public String name() {
        return predicted ? "vtc-predict" : "vtc";
    }

    private void ensure(int t) {
        if (t >= c.length) {
            int n = Math.max(t + 1, c.length * 2);
            c = Arrays.copyOf(c, n);
            invWeight = Arrays.copyOf(invWeight, n);
        }
    }

    @Override
    public void onWeightChanged(int tenant) {
        ensure(tenant);
        invWeight[tenant] = 1 / view.weight(tenant);
    }

    @Override
    public void onBacklogged(int tenant) {
        ensure(tenant);
        double min = backlogged.minKey(); // the other backlogged tenants: this one is not in the heap yet
        if (min != Double.POSITIVE_INFINITY && min > c[tenant]) {
            c[tenant] = min;
        }
        backlogged.add(tenant, c[tenant], 0);
    }

    @Override
    public void onIdle(int tenant) {
        backlogged.remove(tenant);
    }

    @Override
    public int selectTenant() {
        return backlogged.min();
    }

    /**
     * Adds {@code amount} (negative: a refund) to tenant t's counter. The heap reads the counters live and repairs a
     * rise only when the tenant nears the minimum (TenantHeap): a step charges thousands of tenants at 4k running. A
     * refund is set at once.
     */
    private void charge(int t, double amount) {
        c[t] += amount;
        if (amount < 0) {
            backlogged.update(t, c[t]);
        }
    }

    @Override
    public void onAdmitted(RequestHandle r, boolean readmitted) {
        if (readmitted) {
            return;
        }
        int t = r.tenantIndex();
        double cost = view.promptTokenWeight() * ((Req) r).prompt();
        if (predicted) {
            int p = r.predictedOutputTokens();
            view.setScratch(r, 0, p);
            cost += view.outputTokenWeight() * p;
        }
        charge(t, cost * invWeight[t]);
    }

    @Override
    public void onStepCompleted(Batch b, double seconds, double utilization) {
        double wq = view.outputTokenWeight();
        // every entry's request is running: its generated tokens (and, predicted, its prediction in scratch 0) are
        // read from the scheduler's running arrays by the entry's running index, not from the request object
        DefaultScheduler s = ((PolicyView) view).scheduler();
        int[] generated = s.runGenerated();
        double[] prediction = s.runScratch0;
        int n = b.size();
        int decodes = b.decodeCount();
        int[] tenant = b.tenantArray();
        boolean anyFinished = b.finishedCount > 0;
        if (!predicted) {
            // every decode is charged, and once more when a request of the step finished (the second rule below):
            // one pass, the same additions per tenant (all of one tenant's charges in a step are the same amount,
            // so their order does not change the sum). Rises: the heap is not told, see charge.
            for (int i = 0; i < decodes; i++) {
                int t = tenant[i];
                double x = wq * invWeight[t];
                c[t] += x;
                if (anyFinished) {
                    c[t] += x;
                }
            }
        }
        for (int i = predicted ? 0 : decodes; i < n; i++) {
            int j = b.slot(i);
            // a decode; or, after a preemption, the recomputing prefill that yields a later token (never the first)
            if (b.isPrefill(i) && !(b.produced(i) > 0 && generated[j] > 1)) {
                continue;
            }
            // the artifact charges before the step, so the prediction variant tests the count before this token
            if (!predicted || generated[j] - b.produced(i) > prediction[j]) {
                int t = tenant[i];
                charge(t, wq * invWeight[t]);
            }
        }
        if (anyFinished) {
            for (int i = predicted ? 0 : decodes; i < n; i++) { // decodes of the plain variant: charged above
                int j = b.slot(i);
                if (b.producesToken(i) && (!predicted || generated[j] > prediction[j])) {
                    int t = tenant[i];
                    charge(t, wq * invWeight[t]);
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
                charge(t, -(view.outputTokenWeight() * unused * invWeight[t]));
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

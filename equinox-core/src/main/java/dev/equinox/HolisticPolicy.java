package dev.equinox;

import dev.equinox.spi.EngineCostModel;
import java.util.Arrays;

/**
 * Equinox's holistic fairness (arXiv 2508.16646), as this project defines it in {@code docs/fairness.md}:
 *
 * <p><b>User Fairness Counter</b>: tokens delivered, weighted (w_p, w_q) and discounted by how late they came,
 * per unit of tenant weight: UFC_i += (w_p p + w_q o) q / w_i with q = L* / max(L*, L), L the user-perceived
 * latency and L* the idle-engine latency from the {@link EngineCostModel}. Charged on prediction at admission
 * (predicted o and q), per step for tokens beyond the prediction, and settled with the measured values when the
 * request ends.
 *
 * <p><b>Resource Fairness Counter</b>: utilization-weighted GPU-seconds. Each step's duration T x utilization u
 * is split among its entries in proportion to their modelled cost (prefill chunk or decode token, from the cost
 * model) and charged to their tenants per unit of weight. Predicted GPU-seconds are charged at admission and
 * consumed by the per-step charges; what is left is refunded at the end. Recomputation after a preemption is
 * the operator's cost, charged to nobody.
 *
 * <p><b>Selection</b>: HF_i = alpha UFC_i / mean_A(UFC) + beta RFC_i / mean_A(RFC) over the backlogged tenants
 * A; the candidates are those within delta of the smallest HF; among their queue heads the one with the least
 * predicted remaining work (prompt + predicted output: the least budget and KV per token delivered, the
 * shortest time to first token) is admitted, ties to the lower HF. With delta = 0 this is lowest-HF-first.
 * Counter lifting applies to both counters, as in VTC. Victim: the running request of the tenant with the
 * highest HF (ties: latest admitted).
 *
 * <p>Cost: one pass over the active tenants per admission (means, minimum, candidates), no allocation.
 */
final class HolisticPolicy extends BasePolicy {
    private final double alpha;
    private final double beta;
    private final double delta;
    private double[] ufc = new double[16];
    private double[] rfc = new double[16];
    private double[] hf = new double[16];
    private double meanStepSeconds = Double.NaN;
    private double meanUtil = 1.0;
    private double victimRatio;

    HolisticPolicy(double alpha, double beta, double delta) {
        if (!(alpha >= 0) || !(beta >= 0) || Math.abs(alpha + beta - 1) > 1e-9) {
            throw new IllegalArgumentException("alpha and beta must be >= 0 and sum to 1, got alpha=" + alpha + ", beta=" + beta);
        }
        if (!(delta >= 0) || Double.isInfinite(delta)) {
            throw new IllegalArgumentException("delta must be a finite number >= 0, got " + delta);
        }
        this.alpha = alpha;
        this.beta = beta;
        this.delta = delta;
    }

    @Override
    public String name() {
        return "equinox";
    }

    private void ensure(int t) {
        if (t >= ufc.length) {
            int n = Math.max(t + 1, ufc.length * 2);
            ufc = Arrays.copyOf(ufc, n);
            rfc = Arrays.copyOf(rfc, n);
            hf = Arrays.copyOf(hf, n);
        }
    }

    @Override
    public void onWeightChanged(int tenant) {
        ensure(tenant);
    }

    @Override
    public void onBacklogged(int tenant) {
        ensure(tenant);
        double minU = Double.POSITIVE_INFINITY;
        double minR = Double.POSITIVE_INFINITY;
        for (int i = 0, n = view.activeTenantCount(); i < n; i++) {
            int t = view.activeTenant(i);
            if (t != tenant) {
                minU = Math.min(minU, ufc[t]);
                minR = Math.min(minR, rfc[t]);
            }
        }
        if (minU != Double.POSITIVE_INFINITY) {
            ufc[tenant] = Math.max(ufc[tenant], minU);
            rfc[tenant] = Math.max(rfc[tenant], minR);
        }
    }

    /** Fills hf[] for the active tenants and returns the minimum. */
    private double scoreActive() {
        int n = view.activeTenantCount();
        double sumU = 0;
        double sumR = 0;
        for (int i = 0; i < n; i++) {
            int t = view.activeTenant(i);
            sumU += ufc[t];
            sumR += rfc[t];
        }
        double ku = sumU > 0 ? alpha * n / sumU : 0;
        double kr = sumR > 0 ? beta * n / sumR : 0;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            int t = view.activeTenant(i);
            double s = ku * ufc[t] + kr * rfc[t];
            hf[t] = s;
            if (s < min) {
                min = s;
            }
        }
        return min;
    }

    /** The HF score of tenant {@code t} against the current active set (tests and metrics). */
    double score(int t) {
        scoreActive();
        return hf[t];
    }

    @Override
    public int selectTenant() {
        double min = scoreActive();
        double limit = min + delta;
        int best = -1;
        long bestWork = Long.MAX_VALUE;
        double bestScore = Double.POSITIVE_INFINITY;
        for (int i = 0, n = view.activeTenantCount(); i < n; i++) {
            int t = view.activeTenant(i);
            double s = hf[t];
            if (s > limit) {
                continue;
            }
            Req h = (Req) view.head(t);
            long work = (long) h.prompt() + Math.max(1, h.predicted - h.generated);
            if (delta == 0) {
                work = 0;
            }
            if (work < bestWork || (work == bestWork && (s < bestScore || (s == bestScore && t < best)))) {
                best = t;
                bestWork = work;
                bestScore = s;
            }
        }
        return best;
    }

    @Override
    public void onAdmitted(RequestHandle r, boolean readmitted) {
        if (readmitted) {
            return;
        }
        Req q = (Req) r;
        int t = q.tenant.index;
        double w = q.tenant.weight;
        EngineCostModel m = view.costModel();
        int prompt = q.prompt();
        int pred = Math.max(1, q.predicted);
        double idle = m.idleLatencySeconds(prompt, pred);
        double qhat = 1.0;
        if (idle > 0) {
            double waited = (view.nowNanos() - q.queuedAt) / 1e9;
            double slowdown = 1.0;
            double idleDecode = m.stepSeconds(0, 0, 1, prompt + pred / 2);
            if (!Double.isNaN(meanStepSeconds) && idleDecode > 0) {
                slowdown = Math.max(1.0, meanStepSeconds / idleDecode);
            }
            double expected = waited + idle * slowdown;
            qhat = idle / Math.max(idle, expected);
        }
        double u = (view.promptTokenWeight() * prompt + view.outputTokenWeight() * pred) * qhat;
        ufc[t] += u / w;
        q.scratch0 = u;
        double gpuSeconds = (m.prefillCost(prompt, prompt) + pred * m.decodeCost(prompt + pred / 2)) * meanUtil;
        rfc[t] += gpuSeconds / w;
        q.scratch1 = gpuSeconds;
    }

    @Override
    public void onStepCompleted(Batch b, double seconds, double utilization) {
        int n = b.size();
        if (n == 0) {
            return;
        }
        double util = Double.isNaN(utilization) ? 1.0 : utilization;
        meanStepSeconds = Double.isNaN(meanStepSeconds) ? seconds : 0.9 * meanStepSeconds + 0.1 * seconds;
        meanUtil = 0.9 * meanUtil + 0.1 * util;
        EngineCostModel m = view.costModel();
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += entryCost(b, i, m);
        }
        double gpu = seconds * util;
        double wq = view.outputTokenWeight();
        for (int i = 0; i < n; i++) {
            Req r = (Req) b.request(i);
            double w = r.tenant.weight;
            int t = r.tenant.index;
            if (!b.isPrefill(i) && r.generated > r.predicted) {
                ufc[t] += wq / w;
                r.scratch0 += wq;
            }
            if (total <= 0 || (b.isPrefill(i) && r.preemptions > 0)) {
                continue;
            }
            double x = entryCost(b, i, m) / total * gpu;
            if (r.scratch1 >= x) {
                r.scratch1 -= x;
            } else {
                rfc[t] += (x - r.scratch1) / w;
                r.scratch1 = 0;
            }
        }
    }

    private static double entryCost(Batch b, int i, EngineCostModel m) {
        int off = b.tokenOffset(i);
        int len = b.tokenCount(i);
        return b.isPrefill(i) ? m.prefillCost(len, off + len) : m.decodeCost(off + 1);
    }

    @Override
    public void onFinished(RequestHandle r) {
        Req q = (Req) r;
        int t = q.tenant.index;
        double w = q.tenant.weight;
        EngineCostModel m = view.costModel();
        int out = Math.max(1, q.generated);
        double idle = m.idleLatencySeconds(q.prompt(), out);
        double latency = (view.nowNanos() - q.queuedAt) / 1e9;
        double qual = idle > 0 && latency > idle ? idle / latency : 1.0;
        double target = (view.promptTokenWeight() * q.prompt() + view.outputTokenWeight() * q.generated) * qual;
        ufc[t] += (target - q.scratch0) / w;
        q.scratch0 = target;
        rfc[t] -= q.scratch1 / w;
        q.scratch1 = 0;
    }

    @Override
    void beforeVictimScan() {
        victimRatio = ratio();
    }

    @Override
    double victimScore(Req r) {
        int t = r.tenant.index;
        return alpha * ufc[t] + beta * rfc[t] * victimRatio;
    }

    /** Scale that puts RFC on UFC's scale for victim ranking (the HF normalisation without the active set). */
    private double ratio() {
        double su = 0;
        double sr = 0;
        for (int i = 0, n = view.runningCount(); i < n; i++) {
            int t = view.running(i).tenantIndex();
            su += ufc[t];
            sr += rfc[t];
        }
        return sr > 0 ? su / sr : 0;
    }

    @Override
    public double counter(int tenant) {
        return tenant < ufc.length ? ufc[tenant] : Double.NaN;
    }

    @Override
    public double resourceCounter(int tenant) {
        return tenant < rfc.length ? rfc[tenant] : Double.NaN;
    }
}

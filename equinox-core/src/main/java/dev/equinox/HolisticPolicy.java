package dev.equinox;

import dev.equinox.spi.EngineCostModel;
import java.util.Arrays;

/** EXPERIMENTAL variant switchboard (not for commit). */
final class HolisticPolicy extends BasePolicy {
    static final String NORM = System.getProperty("eq.norm", "mean"); // mean | typ | max
    static final String Q = System.getProperty("eq.q", "arrival"); // arrival | head | none
    static final String EFF = System.getProperty("eq.eff", "work"); // work | prompt | none
    static final double QMIN = Double.parseDouble(System.getProperty("eq.qmin", "0"));
    static final double TYP_A = Double.parseDouble(System.getProperty("eq.typa", "0.02"));
    static final boolean RFCK = Boolean.getBoolean("eq.rfck"); // calibrate predicted GPU-seconds by measured/modelled

    private final double alpha;
    private final double beta;
    private final double delta;
    private double[] ufc = new double[16];
    private double[] rfc = new double[16];
    private double[] hf = new double[16];
    private long[] headSince = new long[16];
    private double meanStepSeconds = Double.NaN;
    private double meanUtil = 1.0;
    private double gpuPerModelled = 1.0;
    private double uTyp = Double.NaN;
    private double rTyp = Double.NaN;
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
            headSince = Arrays.copyOf(headSince, n);
        }
    }

    @Override
    public void onWeightChanged(int tenant) {
        ensure(tenant);
    }

    @Override
    public void onBacklogged(int tenant) {
        ensure(tenant);
        headSince[tenant] = view.nowNanos();
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

    @Override
    public void onPreempted(RequestHandle r) {
        headSince[r.tenantIndex()] = view.nowNanos();
    }

    private double scoreActive() {
        int n = view.activeTenantCount();
        if (NORM.equals("mean")) {
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
                min = Math.min(min, s);
            }
            return min;
        }
        double minU = Double.POSITIVE_INFINITY;
        double minR = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            int t = view.activeTenant(i);
            minU = Math.min(minU, ufc[t]);
            minR = Math.min(minR, rfc[t]);
        }
        double ku = uTyp > 0 ? alpha / uTyp : 0;
        double kr = rTyp > 0 ? beta / rTyp : 0;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            int t = view.activeTenant(i);
            double s = ku * (ufc[t] - minU) + kr * (rfc[t] - minR);
            hf[t] = s;
            min = Math.min(min, s);
        }
        return min;
    }

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
            long work;
            if (EFF.equals("work")) {
                work = (long) h.prompt() + Math.max(1, h.predicted - h.generated);
            } else if (EFF.equals("prompt")) {
                work = (long) h.prompt() + h.generated;
            } else if (EFF.equals("oldest")) {
                work = h.queuedAt;
            } else {
                work = 0;
            }
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

    private double qAt(Req q, double idle, double latency) {
        double v = idle > 0 && latency > idle ? idle / latency : 1.0;
        return Math.max(QMIN, v);
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
        long now = view.nowNanos();
        if (Q.equals("arrival")) {
            if (idle > 0) {
                double waited = (now - q.queuedAt) / 1e9;
                double slowdown = 1.0;
                double idleDecode = m.stepSeconds(0, 0, 1, prompt + pred / 2);
                if (!Double.isNaN(meanStepSeconds) && idleDecode > 0) {
                    slowdown = Math.max(1.0, meanStepSeconds / idleDecode);
                }
                double expected = waited + idle * slowdown;
                qhat = Math.max(QMIN, idle / Math.max(idle, expected));
            }
        } else if (Q.equals("head")) {
            double hw = (now - Math.max(headSince[t], q.queuedAt)) / 1e9;
            q.expQ = hw;
            qhat = qAt(q, idle, idle + hw);
        }
        headSince[t] = now;
        double u = (view.promptTokenWeight() * prompt + view.outputTokenWeight() * pred) * qhat;
        ufc[t] += u / w;
        q.scratch0 = u;
        double gpuSeconds = (m.prefillCost(prompt, prompt) + pred * m.decodeCost(prompt + pred / 2)) * (RFCK ? gpuPerModelled : meanUtil);
        rfc[t] += gpuSeconds / w;
        q.scratch1 = gpuSeconds;
        if (NORM.equals("max")) {
            uTyp = Double.isNaN(uTyp) ? u : Math.max(uTyp, u);
            rTyp = Double.isNaN(rTyp) ? gpuSeconds : Math.max(rTyp, gpuSeconds);
        } else {
            uTyp = Double.isNaN(uTyp) ? u : uTyp + TYP_A * (u - uTyp);
            rTyp = Double.isNaN(rTyp) ? gpuSeconds : rTyp + TYP_A * (gpuSeconds - rTyp);
        }
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
        if (total > 0) {
            gpuPerModelled += 0.1 * (gpu / total - gpuPerModelled);
        }
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
        double qual;
        if (Q.equals("arrival")) {
            double latency = (view.nowNanos() - q.queuedAt) / 1e9;
            qual = Math.max(QMIN, idle > 0 && latency > idle ? idle / latency : 1.0);
        } else if (Q.equals("head")) {
            qual = qAt(q, idle, idle + q.expQ);
        } else {
            qual = 1.0;
        }
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

package dev.equinox.metrics;

import java.util.Arrays;
import java.util.Collection;

/**
 * Fairness of a finished run, computed from per-request records ({@link FairnessRecord}): pure functions, no
 * state. The definitions are VTC's (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024) with its
 * artifact's sampling rules ({@link FairnessOptions#vtcArtifact()}), plus a Jain's index that measures fairness
 * rather than demand skew.
 *
 * <h2>Definitions</h2>
 * <ul>
 * <li><b>Service</b> of a request: {@code w_p * input + w_q * output} (1 and 2 by default), delivered uniformly
 * over [first token, finish] ({@link ServiceTimeline}). A tenant's service and demand are divided by its weight.</li>
 * <li><b>Windowed service</b> s_j and <b>demand</b> r_j at tick x_i: service delivered in, and cost of the requests
 * arriving in, [x_i + warmup - window/2, x_i + warmup + window/2], divided by the window length.</li>
 * <li><b>Service difference</b> at a tick: {@code sum_j min(max_k s_k - s_j, |r_j - s_j|)}; a tenant that asked
 * for little and got it does not count as treated unfairly.</li>
 * <li><b>Accumulated service difference</b>: max - min over tenants of the service accumulated over
 * [warmup, x_i + warmup].</li>
 * <li><b>Jain's index over demand-normalised service</b>: in each window, take the set B of tenants that were
 * <em>backlogged</em> (one of their requests waited for its first token at some instant of the window) and the
 * service S_B they received there. Each tenant's fair share e_j is its weighted max-min fair share of S_B, capped
 * by its outstanding work in the window (the cost of its requests that were in the system at some instant of the
 * window), computed by water-filling. Then {@code x_j = s_j / e_j} and
 * {@code J = (sum x_j)^2 / (|B| * sum x_j^2)}: 1 when every backlogged tenant got its fair share, down to 1/|B|.
 * Windows with fewer than two backlogged tenants are undefined (NaN) and left out of the mean. (Raw Jain over
 * service rates would track demand skew, not fairness.)</li>
 * </ul>
 */
public final class FairnessMetrics {
    private FairnessMetrics() {
    }

    /** Computes the report with VTC's artifact rules and unit weights. */
    public static FairnessReport compute(Collection<FairnessRecord> records) {
        return compute(records, FairnessOptions.vtcArtifact());
    }

    /**
     * Computes the report.
     *
     * @throws IllegalArgumentException when there are no records
     */
    public static FairnessReport compute(Collection<FairnessRecord> records, FairnessOptions o) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no requests to compute fairness over");
        }
        ServiceTimeline tl = ServiceTimeline.of(records, o.promptWeight(), o.outputWeight(), o.skipFinishedBefore());
        String[] tenants = tl.tenants();
        int n = tenants.length;
        double[] w = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = o.weight(tenants[j]);
        }
        double[] ticks = ticks(tl.lastArrival(), o.warmupSeconds(), o.ticks());
        int m = ticks.length;
        double[][] service = new double[n][m];
        double[][] demand = new double[n][m];
        double[][] acc = new double[n][m];
        double[] diff = new double[m];
        double[] accDiff = new double[m];
        double[] jain = new double[m];
        double half = o.windowSeconds() / 2;
        double[] s = new double[n];
        double[] r = new double[n];
        for (int i = 0; i < m; i++) {
            double a = ticks[i] + o.warmupSeconds() - half;
            double b = ticks[i] + o.warmupSeconds() + half;
            double accMax = Double.NEGATIVE_INFINITY;
            double accMin = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                s[j] = tl.service(j, a, b) / o.windowSeconds() / w[j];
                r[j] = tl.demand(j, a, b) / o.windowSeconds() / w[j];
                service[j][i] = s[j];
                demand[j][i] = r[j];
                double ac = tl.service(j, o.warmupSeconds(), ticks[i] + o.warmupSeconds()) / w[j];
                acc[j][i] = ac;
                accMax = Math.max(accMax, ac);
                accMin = Math.min(accMin, ac);
            }
            diff[i] = serviceDifference(s, r);
            accDiff[i] = accMax - accMin;
            jain[i] = windowJain(tl, w, a, b);
        }
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double accMaxAll = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < m; i++) {
            max = Math.max(max, diff[i]);
            sum += diff[i];
            accMaxAll = Math.max(accMaxAll, accDiff[i]);
        }
        double avg = sum / m;
        double var = 0;
        for (int i = 0; i < m; i++) {
            var += (diff[i] - avg) * (diff[i] - avg);
        }
        var /= m;
        double jsum = 0;
        int jn = 0;
        for (double j : jain) {
            if (!Double.isNaN(j)) {
                jsum += j;
                jn++;
            }
        }
        return new FairnessReport(tenants, ticks, service, demand, acc, diff, accDiff, jain, max, avg, var, accMaxAll,
                jn == 0 ? Double.NaN : jsum / jn);
    }

    /**
     * The artifact's ticks: T = int(lastArrival), x_i = (T - warmup) / count * i for i in 0 .. count-1. When the
     * run is shorter than the warm-up, every tick is 0.
     */
    public static double[] ticks(double lastArrival, double warmup, int count) {
        double t = Double.isNaN(lastArrival) ? 0 : (double) (long) lastArrival;
        double step = Math.max(0, (t - warmup) / count);
        double[] x = new double[count];
        for (int i = 0; i < count; i++) {
            x[i] = step * i;
        }
        return x;
    }

    /**
     * VTC's service difference at one tick: {@code sum_j min(max_k s_k - s_j, |r_j - s_j|)}.
     *
     * @param service windowed service per tenant
     * @param demand  windowed demand per tenant
     */
    public static double serviceDifference(double[] service, double[] demand) {
        if (service.length != demand.length) {
            throw new IllegalArgumentException("service and demand lengths differ: " + service.length + " vs " + demand.length);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : service) {
            max = Math.max(max, v);
        }
        double d = 0;
        for (int j = 0; j < service.length; j++) {
            d += Math.min(max - service[j], Math.abs(demand[j] - service[j]));
        }
        return d;
    }

    /** Jain's fairness index {@code (sum x)^2 / (n * sum x^2)}; 1 for an empty or all-zero input. */
    public static double jain(double[] x) {
        double s = 0;
        double s2 = 0;
        for (double v : x) {
            s += v;
            s2 += v * v;
        }
        return s2 == 0 ? 1 : s * s / (x.length * s2);
    }

    /**
     * Weighted max-min fair shares of {@code total} among claimants with caps (water-filling): every claimant gets
     * {@code min(cap_j, level * weight_j)} with the level chosen so the shares sum to {@code total} (or to the sum
     * of the caps, if smaller).
     */
    public static double[] waterFill(double total, double[] caps, double[] weights) {
        int n = caps.length;
        double[] share = new double[n];
        boolean[] capped = new boolean[n];
        double left = total;
        int open = n;
        while (open > 0 && left > 1e-12) {
            double wsum = 0;
            for (int j = 0; j < n; j++) {
                if (!capped[j]) {
                    wsum += weights[j];
                }
            }
            double level = left / wsum;
            boolean any = false;
            for (int j = 0; j < n; j++) {
                if (!capped[j] && share[j] + level * weights[j] >= caps[j]) {
                    left -= caps[j] - share[j];
                    share[j] = caps[j];
                    capped[j] = true;
                    open--;
                    any = true;
                }
            }
            if (!any) {
                for (int j = 0; j < n; j++) {
                    if (!capped[j]) {
                        share[j] += level * weights[j];
                    }
                }
                left = 0;
            }
        }
        return share;
    }

    /**
     * Jain's index over demand-normalised service for one window, as defined in the class comment: the fair share
     * e_j of each backlogged tenant is its weighted max-min share of the total service, capped by
     * {@code max(served_j, outstanding_j)} ({@link #waterFill}); then {@code J = jain(served_j / e_j)} over the
     * tenants with a positive share. Shared by the offline report and the live
     * {@link FairnessTracker}, so both compute the same quantity.
     *
     * @param served      service each backlogged tenant received in the window (not divided by its weight)
     * @param outstanding cost of each tenant's work that was in the system at some instant of the window
     * @param weights     tenant weights (&gt; 0)
     * @return the index in [1/n, 1], or NaN with fewer than two tenants or no service
     */
    public static double demandNormalisedJain(double[] served, double[] outstanding, double[] weights) {
        int k = served.length;
        if (outstanding.length != k || weights.length != k) {
            throw new IllegalArgumentException("served, outstanding and weights lengths differ: " + k + ", "
                    + outstanding.length + ", " + weights.length);
        }
        if (k < 2) {
            return Double.NaN;
        }
        double[] caps = new double[k];
        double total = 0;
        for (int q = 0; q < k; q++) {
            caps[q] = Math.max(served[q], outstanding[q]);
            total += served[q];
        }
        if (total <= 0) {
            return Double.NaN;
        }
        double[] share = waterFill(total, caps, weights);
        double[] x = new double[k];
        int used = 0;
        for (int q = 0; q < k; q++) {
            if (share[q] > 0) {
                x[used++] = served[q] / share[q];
            }
        }
        return used < 2 ? Double.NaN : jain(Arrays.copyOf(x, used));
    }

    private static double windowJain(ServiceTimeline tl, double[] w, double a, double b) {
        int n = tl.tenantCount();
        int[] idx = new int[n];
        int k = 0;
        for (int j = 0; j < n; j++) {
            if (tl.backlogged(j, a, b)) {
                idx[k++] = j;
            }
        }
        double[] served = new double[k];
        double[] outstanding = new double[k];
        double[] ws = new double[k];
        for (int q = 0; q < k; q++) {
            int j = idx[q];
            served[q] = tl.service(j, a, b);
            outstanding[q] = tl.outstanding(j, a, b);
            ws[q] = w[j];
        }
        return demandNormalisedJain(served, outstanding, ws);
    }
}

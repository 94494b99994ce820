package dev.equinox.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Per-tenant service and demand as functions of time, built once from {@link FairnessRecord}s and then queried
 * in O(log n).
 *
 * <p><b>Service</b> follows VTC: a request's cost {@code w_p * input + w_q * output} is delivered uniformly over
 * [first token, finish], so a tenant's cumulative service is piecewise linear in time. A request whose first token
 * is also its last (zero duration) delivers its whole cost at that instant, unless the timeline skips it (see
 * {@link #of(Collection, double, double, double)}). <b>Demand</b> is the cost of the requests that arrive in a
 * window, counted at arrival.
 *
 * <p>Queries:
 * <ul>
 * <li>{@link #cumulative(int, double)}: service delivered to the tenant by time t;</li>
 * <li>{@link #service(int, double, double)}: service delivered in [a, b];</li>
 * <li>{@link #demand(int, double, double)}: cost of the requests arriving in [a, b], both ends included;</li>
 * <li>{@link #outstanding(int, double, double)}: cost of the requests that were in the system (arrived, not yet
 * finished) at some instant of [a, b];</li>
 * <li>{@link #backlogged(int, double, double)}: whether one of the tenant's requests was waiting for its first
 * token at some instant of [a, b] (arrived before b, first token after a).</li>
 * </ul>
 *
 * <p>Immutable and thread-safe once built.
 */
public final class ServiceTimeline {
    private final String[] tenants;
    private final Map<String, Integer> index;
    private final Tenant[] data;

    private ServiceTimeline(String[] tenants, Tenant[] data) {
        this.tenants = tenants;
        this.data = data;
        this.index = new HashMap<>();
        for (int i = 0; i < tenants.length; i++) {
            index.put(tenants[i], i);
        }
    }

    /** A timeline with VTC's weights (w_p = 1, w_q = 2), counting every served request. */
    public static ServiceTimeline of(Collection<FairnessRecord> records) {
        return of(records, 1, 2, -1);
    }

    /**
     * A timeline with the given token weights.
     *
     * @param records      the requests
     * @param promptWeight w_p
     * @param outputWeight w_q
     * @param skipFinishedBefore requests are left out of the <em>service</em> (not the demand) when they finish
     *                     before this time or have a zero-length service interval (shorter than 10 us); VTC's
     *                     artifact uses 1 s. A negative value keeps every served request (zero-duration ones
     *                     deliver their cost at once).
     */
    public static ServiceTimeline of(Collection<FairnessRecord> records, double promptWeight, double outputWeight,
            double skipFinishedBefore) {
        if (!(promptWeight >= 0) || !(outputWeight >= 0)) {
            throw new IllegalArgumentException("token weights must be >= 0, got " + promptWeight + ", " + outputWeight);
        }
        TreeSet<String> names = new TreeSet<>();
        for (FairnessRecord r : records) {
            names.add(r.tenant());
        }
        String[] tenants = names.toArray(new String[0]);
        Map<String, List<FairnessRecord>> byTenant = new HashMap<>();
        for (String t : tenants) {
            byTenant.put(t, new ArrayList<>());
        }
        for (FairnessRecord r : records) {
            byTenant.get(r.tenant()).add(r);
        }
        Tenant[] data = new Tenant[tenants.length];
        for (int i = 0; i < tenants.length; i++) {
            data[i] = new Tenant(byTenant.get(tenants[i]), promptWeight, outputWeight, skipFinishedBefore);
        }
        return new ServiceTimeline(tenants, data);
    }

    /** Tenant ids in sorted order; a tenant's position here is its index in the other queries. */
    public String[] tenants() {
        return tenants.clone();
    }

    /** Number of tenants. */
    public int tenantCount() {
        return tenants.length;
    }

    /** Index of a tenant id, or -1. */
    public int indexOf(String tenant) {
        Integer i = index.get(tenant);
        return i == null ? -1 : i;
    }

    /** Latest arrival over all requests (NaN when there are none). */
    public double lastArrival() {
        double m = Double.NaN;
        for (Tenant t : data) {
            if (t.arrivals.length > 0) {
                double a = t.arrivals[t.arrivals.length - 1];
                m = Double.isNaN(m) ? a : Math.max(m, a);
            }
        }
        return m;
    }

    /** Service delivered to tenant {@code i} by time {@code t}. */
    public double cumulative(int i, double t) {
        return data[i].cumulative(t);
    }

    /** Service delivered to tenant {@code i} in [a, b]. */
    public double service(int i, double a, double b) {
        return b <= a ? 0 : data[i].cumulative(b) - data[i].cumulative(a);
    }

    /** Cost of tenant {@code i}'s requests arriving in [a, b], both ends included. */
    public double demand(int i, double a, double b) {
        Tenant d = data[i];
        int lo = lowerBound(d.arrivals, a);
        int hi = upperBound(d.arrivals, b);
        return hi <= lo ? 0 : d.arrivalCostPrefix[hi] - d.arrivalCostPrefix[lo];
    }

    /** Cost of tenant {@code i}'s requests that arrived by {@code b} and had not finished before {@code a}. */
    public double outstanding(int i, double a, double b) {
        Tenant d = data[i];
        double arrived = d.arrivalCostPrefix[upperBound(d.arrivals, b)];
        double done = d.finishCostPrefix[lowerBound(d.finishes, a)];
        return Math.max(0, arrived - done);
    }

    /** Whether one of tenant {@code i}'s requests waited for its first token at some instant of [a, b]. */
    public boolean backlogged(int i, double a, double b) {
        Tenant d = data[i];
        // requests with firstToken <= a all arrived <= a <= b, so the difference counts arrival <= b && first > a
        return upperBound(d.arrivals, b) - upperBound(d.firstTokens, a) > 0;
    }

    static int lowerBound(double[] a, double key) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static int upperBound(double[] a, double key) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** One tenant's sorted event arrays. */
    private static final class Tenant {
        final double[] arrivals;          // sorted
        final double[] arrivalCostPrefix; // prefix sums over sorted arrivals, length n+1
        final double[] firstTokens;       // sorted; unserved requests = +inf (waiting forever)
        final double[] finishes;          // sorted; unserved = +inf
        final double[] finishCostPrefix;  // prefix sums of cost over sorted finishes (all requests)
        // piecewise-linear cumulative service: value at each breakpoint and slope after it
        final double[] times;
        final double[] values;
        final double[] slopes;

        Tenant(List<FairnessRecord> rs, double wp, double wq, double skipBefore) {
            int n = rs.size();
            double[][] arr = new double[n][2];
            double[][] fin = new double[n][2];
            firstTokens = new double[n];
            for (int k = 0; k < n; k++) {
                FairnessRecord r = rs.get(k);
                double c = r.cost(wp, wq);
                arr[k][0] = r.arrivalSeconds();
                arr[k][1] = c;
                fin[k][0] = r.served() ? r.finishSeconds() : Double.POSITIVE_INFINITY;
                fin[k][1] = c;
                firstTokens[k] = r.served() ? r.firstTokenSeconds() : Double.POSITIVE_INFINITY;
            }
            Arrays.sort(arr, (x, y) -> Double.compare(x[0], y[0]));
            Arrays.sort(fin, (x, y) -> Double.compare(x[0], y[0]));
            Arrays.sort(firstTokens);
            arrivals = new double[n];
            arrivalCostPrefix = new double[n + 1];
            finishes = new double[n];
            finishCostPrefix = new double[n + 1];
            for (int k = 0; k < n; k++) {
                arrivals[k] = arr[k][0];
                arrivalCostPrefix[k + 1] = arrivalCostPrefix[k] + arr[k][1];
                finishes[k] = fin[k][0];
                finishCostPrefix[k + 1] = finishCostPrefix[k] + fin[k][1];
            }

            // events: (time, slopeDelta, jump)
            List<double[]> ev = new ArrayList<>(2 * n);
            for (FairnessRecord r : rs) {
                if (!r.served()) {
                    continue;
                }
                double s = r.firstTokenSeconds();
                double e = r.finishSeconds();
                double c = r.cost(wp, wq);
                double dur = e - s;
                if (skipBefore >= 0 && (e < skipBefore || dur < 1e-5)) {
                    continue;
                }
                if (dur <= 0) {
                    ev.add(new double[] {e, 0, c});
                } else {
                    double rate = c / dur;
                    ev.add(new double[] {s, rate, 0});
                    ev.add(new double[] {e, -rate, 0});
                }
            }
            ev.sort((x, y) -> Double.compare(x[0], y[0]));
            int m = 0;
            double[] ts = new double[ev.size()];
            double[] vs = new double[ev.size()];
            double[] ss = new double[ev.size()];
            double value = 0;
            double slope = 0;
            double last = Double.NEGATIVE_INFINITY;
            for (double[] e : ev) {
                if (m > 0 && e[0] == ts[m - 1]) {
                    slope += e[1];
                    value += e[2];
                    vs[m - 1] = value;
                    ss[m - 1] = slope;
                    continue;
                }
                if (m > 0) {
                    value += slope * (e[0] - last);
                }
                slope += e[1];
                value += e[2];
                ts[m] = e[0];
                vs[m] = value;
                ss[m] = slope;
                last = e[0];
                m++;
            }
            // the slope returns to 0 after the last finish; clear rounding residue
            if (m > 0) {
                ss[m - 1] = 0;
            }
            times = Arrays.copyOf(ts, m);
            values = Arrays.copyOf(vs, m);
            slopes = Arrays.copyOf(ss, m);
        }

        double cumulative(double t) {
            int k = upperBound(times, t) - 1;
            if (k < 0) {
                return 0;
            }
            // after the last breakpoint the slope is 0: return the total (0 x infinity would be NaN for t = +inf)
            return slopes[k] == 0 ? values[k] : values[k] + slopes[k] * (t - times[k]);
        }
    }
}

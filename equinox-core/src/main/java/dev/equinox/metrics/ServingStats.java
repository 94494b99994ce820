package dev.equinox.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The request-level figures a serving run is summarised by, computed one way for every producer: the simulator's
 * table ({@code equinox replay}) and a run served on a GPU ({@code serve-bench}) both add their requests here, so
 * their columns mean the same. TTFT is over requests that got a first token; end-to-end latency, time per output
 * token (requests with more than one) and the token totals are over finished requests; percentiles interpolate
 * linearly (as numpy). Fairness is {@link FairnessMetrics} over every added request, a request counting as service
 * from its first token to the end of its service.
 *
 * <pre>{@code
 * ServingStats s = new ServingStats();
 * s.add("a", 0.0, 0.4, 2.0, 2.0, 512, 128);     // finished
 * s.add("b", 0.1, 0.9, Double.NaN, 3.0, 64, 40); // still decoding when the run stopped at 3 s
 * double[] ttft = s.ttft();                      // p50, p90, p99
 * }</pre>
 *
 * <p>Not thread-safe: one thread adds, then reads.
 */
public final class ServingStats {
    private double[] ttft = new double[16];
    private double[] e2e = new double[16];
    private double[] tpot = new double[16];
    private int nt;
    private int ne;
    private int np;
    private int requests;
    private long finishedInput;
    private long finishedOutput;
    private final List<FairnessRecord> records = new ArrayList<>();

    /**
     * Adds one request.
     *
     * @param tenant       its tenant
     * @param arrival      arrival time (seconds, any common clock)
     * @param firstToken   time of its first output token, NaN if none
     * @param finish       time it finished, NaN if it did not
     * @param serviceEnd   when its service ended: {@code finish}, or the end of a run that stopped while it was
     *                     decoding; NaN if it was never served
     * @param inputTokens  prompt tokens
     * @param outputTokens output tokens produced
     * @throws IllegalArgumentException as {@link FairnessRecord} does for inconsistent times or lengths
     */
    public void add(String tenant, double arrival, double firstToken, double finish, double serviceEnd, int inputTokens, int outputTokens) {
        Objects.requireNonNull(tenant, "tenant");
        boolean served = !Double.isNaN(firstToken) && !Double.isNaN(serviceEnd);
        records.add(new FairnessRecord(tenant, arrival, served ? Math.max(arrival, firstToken) : Double.NaN,
                served ? Math.max(firstToken, serviceEnd) : Double.NaN, inputTokens, outputTokens));
        requests++;
        if (!Double.isNaN(firstToken)) {
            ttft = push(ttft, nt++, firstToken - arrival);
        }
        if (!Double.isNaN(finish)) {
            e2e = push(e2e, ne++, finish - arrival);
            finishedInput += inputTokens;
            finishedOutput += outputTokens;
            if (outputTokens > 1 && !Double.isNaN(firstToken)) {
                tpot = push(tpot, np++, (finish - firstToken) / (outputTokens - 1));
            }
        }
    }

    private static double[] push(double[] a, int i, double v) {
        double[] b = i == a.length ? Arrays.copyOf(a, a.length * 2) : a;
        b[i] = v;
        return b;
    }

    /** Requests added. */
    public int requests() {
        return requests;
    }

    /** Requests that finished. */
    public int finished() {
        return ne;
    }

    /** Prompt tokens of the finished requests. */
    public long finishedInputTokens() {
        return finishedInput;
    }

    /** Output tokens of the finished requests. */
    public long finishedOutputTokens() {
        return finishedOutput;
    }

    /** TTFT p50, p90, p99 over requests with a first token; NaN when none. */
    public double[] ttft() {
        return percentiles(ttft, nt);
    }

    /** End-to-end latency p50, p90, p99 over finished requests; NaN when none. */
    public double[] e2e() {
        return percentiles(e2e, ne);
    }

    /** Time per output token p50, p90, p99 over finished requests with more than one token; NaN when none. */
    public double[] tpot() {
        return percentiles(tpot, np);
    }

    /** The fairness report over every added request, or null when none was added. */
    public FairnessReport fairness(FairnessOptions options) {
        return records.isEmpty() ? null : FairnessMetrics.compute(records, options);
    }

    /** p50, p90, p99 of the first {@code n} values (linear interpolation, as numpy); NaN when {@code n} is 0. */
    public static double[] percentiles(double[] values, int n) {
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        double[] s = Arrays.copyOf(values, n);
        Arrays.sort(s);
        return new double[] {quantile(s, 0.5), quantile(s, 0.9), quantile(s, 0.99)};
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

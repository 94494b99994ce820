package dev.equinox.gpu;

import dev.equinox.RequestStatus;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessRecord;
import dev.equinox.metrics.FairnessReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of the simulator's table ({@code equinox replay}) for a served run, so a GPU run and the simulator's
 * prediction read side by side: the same columns, computed the same way (equinox-bench's {@code RunSummary}), from
 * the requests' measured times. TTFT over requests with a first token, end-to-end latency, throughput and time per
 * output token over finished requests (throughput per second of the run's wall time), fairness by
 * {@link FairnessMetrics} with VTC's artifact rules and the trace's weights. Two differences, both from what a
 * served run is: {@code util} is the mean of the per-step NVML samples (the simulator's is its cost model's,
 * averaged over time), and a request still running when a run stops at {@code --max-seconds} counts its tokens so
 * far as service up to the end of the run.
 */
final class ServeSummary {
    /** The simulator's column names (equinox-bench's TableReporter.HEADER). */
    static final String[] HEADER = {"run", "done", "req/s", "tok/s", "ttft p50", "ttft p90", "ttft p99", "e2e p50", "e2e p90",
        "e2e p99", "tpot p50", "util", "maxSD", "avgSD", "maxAccSD", "jain", "preempt"};

    private ServeSummary() {
    }

    /** The row's cells for {@code r}, labelled {@code label}, with the trace's tenant weights. */
    static String[] cells(String label, GpuHostEngine.Report r, Map<String, Double> weights) {
        List<GpuHostEngine.Outcome> os = r.outcomes();
        int n = os.size();
        double[] ttft = new double[n];
        double[] e2e = new double[n];
        double[] tpot = new double[n];
        int nt = 0;
        int ne = 0;
        int np = 0;
        int finished = 0;
        long out = 0;
        long preemptions = 0;
        List<FairnessRecord> recs = new ArrayList<>(n);
        for (GpuHostEngine.Outcome o : os) {
            double a = o.arrivalSeconds();
            double ft = o.firstTokenSeconds();
            double fin = o.finishSeconds();
            preemptions += o.preemptions();
            if (!Double.isNaN(ft)) {
                ttft[nt++] = Math.max(0, ft - a);
            }
            boolean done = o.status() == RequestStatus.FINISHED && !Double.isNaN(fin);
            if (done) {
                finished++;
                e2e[ne++] = fin - a;
                out += o.outputTokens();
                if (o.outputTokens() > 1 && !Double.isNaN(ft)) {
                    tpot[np++] = (fin - ft) / (o.outputTokens() - 1);
                }
            }
            boolean served = !Double.isNaN(ft);
            double end = done ? fin : Math.max(a, r.wallSeconds());
            recs.add(new FairnessRecord(o.tenant(), a, served ? Math.max(a, ft) : Double.NaN,
                    served ? Math.max(Math.max(a, ft), end) : Double.NaN, o.promptTokens(), o.outputTokens()));
        }
        double span = r.wallSeconds() > 0 ? r.wallSeconds() : 1;
        FairnessReport f = recs.isEmpty() ? null : FairnessMetrics.compute(recs, FairnessOptions.vtcArtifact().withWeights(weights));
        double[] t = pct(ttft, nt);
        double[] e = pct(e2e, ne);
        return new String[] {label, finished + "/" + n, f(finished / span, 2), f(out / span, 0), f(t[0], 2), f(t[1], 2), f(t[2], 2),
            f(e[0], 2), f(e[1], 2), f(e[2], 2), f(pct(tpot, np)[0] * 1000, 1) + "ms",
            Double.isNaN(r.meanGpuUtilization()) ? "-" : f(r.meanGpuUtilization() * 100, 1) + "%",
            f == null ? "-" : f(f.maxServiceDifference(), 1), f == null ? "-" : f(f.avgServiceDifference(), 1),
            f == null ? "-" : f(f.maxAccumulatedDifference(), 0), f == null ? "-" : f(f.meanJain(), 3), Long.toString(preemptions)};
    }

    /** Prints the header and the row, aligned as the simulator's table. */
    static void print(PrintWriter out, String[] row) {
        int[] w = new int[HEADER.length];
        for (String[] r : List.of(HEADER, row)) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : List.of(HEADER, row)) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                sb.append(i == 0 ? String.format(Locale.ROOT, "%-" + w[i] + "s", r[i]) : String.format(Locale.ROOT, "  %" + w[i] + "s", r[i]));
            }
            out.println(sb);
        }
    }

    private static String f(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** p50, p90, p99 of the first {@code n} values, interpolated linearly (as the simulator's); NaN when empty. */
    static double[] pct(double[] v, int n) {
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        double[] s = Arrays.copyOf(v, n);
        Arrays.sort(s);
        double[] q = {0.5, 0.9, 0.99};
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            double pos = q[i] * (s.length - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(s.length - 1, lo + 1);
            out[i] = s[lo] + (s[hi] - s[lo]) * (pos - lo);
        }
        return out;
    }
}

package dev.equinox.gpu;

import dev.equinox.RequestStatus;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessReport;
import dev.equinox.metrics.ServingStats;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of the simulator's table ({@code equinox replay}) for a served run, so a GPU run and the simulator's
 * prediction read side by side: the same columns, from the same {@link ServingStats} the simulator's summary uses,
 * over the requests' measured times (throughput per second of the run's wall time), fairness by
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
        ServingStats st = new ServingStats();
        long preemptions = 0;
        for (GpuHostEngine.Outcome o : r.outcomes()) {
            double a = o.arrivalSeconds();
            double ft = o.firstTokenSeconds();
            boolean done = o.status() == RequestStatus.FINISHED && !Double.isNaN(o.finishSeconds());
            double fin = done ? o.finishSeconds() : Double.NaN;
            // a request still decoding when the run stopped was served until the run's end
            double serviceEnd = done ? fin : Double.isNaN(ft) ? Double.NaN : Math.max(ft, r.wallSeconds());
            st.add(o.tenant(), a, ft, fin, serviceEnd, o.promptTokens(), o.outputTokens());
            preemptions += o.preemptions();
        }
        double span = r.wallSeconds() > 0 ? r.wallSeconds() : 1;
        FairnessReport f = st.fairness(FairnessOptions.vtcArtifact().withWeights(weights));
        double[] t = st.ttft();
        double[] e = st.e2e();
        // done: finished over every request of the workload, the rejected included (as the simulator counts them)
        return new String[] {label, st.finished() + "/" + (r.submitted() + r.rejected()), f(st.finished() / span, 2), f(st.finishedOutputTokens() / span, 0),
            f(t[0], 2), f(t[1], 2), f(t[2], 2), f(e[0], 2), f(e[1], 2), f(e[2], 2), f(st.tpot()[0] * 1000, 1) + "ms",
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
}

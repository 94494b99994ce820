package dev.equinox.bench.report;

import dev.equinox.bench.sim.SimResult;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessRecord;
import dev.equinox.metrics.FairnessReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The numbers reported for one run (one policy x predictor on one workload). Latencies in seconds; TTFT and
 * end-to-end latency count from the request's true arrival. Throughput is over the virtual makespan (first
 * arrival at 0 to the last finish). Utilization is the modelled GPU utilization averaged over the makespan (idle
 * time counts as 0). Fairness is {@link FairnessMetrics} with VTC's artifact rules and the workload's weights.
 *
 * @param label          policy+predictor
 * @param policy         policy name
 * @param predictor      predictor name
 * @param requests       requests in the workload
 * @param finished       requests finished
 * @param rejected       requests the scheduler refused
 * @param makespan       virtual seconds
 * @param reqPerSec      finished requests per second
 * @param outTokPerSec   output tokens per second
 * @param totalTokPerSec prompt + output tokens per second
 * @param ttft           TTFT p50, p90, p99
 * @param e2e            end-to-end latency p50, p90, p99
 * @param tpot           time per output token p50, p90, p99 (requests with more than one output token)
 * @param utilization    mean modelled GPU utilization
 * @param maxServiceDiff max service difference
 * @param avgServiceDiff average service difference
 * @param varServiceDiff variance of the service difference
 * @param maxAccDiff     max accumulated service difference
 * @param jain           mean Jain's index over demand-normalised service
 * @param preemptions    preemptions
 * @param steps          engine steps
 * @param wallSeconds    wall time of the simulation
 * @param fairness       the full fairness report (per-tick series for charts)
 */
public record RunSummary(String label, String policy, String predictor, int requests, int finished, int rejected, double makespan,
        double reqPerSec, double outTokPerSec, double totalTokPerSec, double[] ttft, double[] e2e, double[] tpot, double utilization,
        double maxServiceDiff, double avgServiceDiff, double varServiceDiff, double maxAccDiff, double jain, long preemptions,
        long steps, double wallSeconds, FairnessReport fairness) {

    /** Summarises a simulation with VTC's artifact fairness rules. */
    public static RunSummary of(SimResult r) {
        return of(r, FairnessOptions.vtcArtifact());
    }

    /** Summarises a simulation with the given fairness options (the workload's weights are added). */
    public static RunSummary of(SimResult r, FairnessOptions options) {
        var w = r.workload();
        int n = w.size();
        double[] ttft = new double[n];
        double[] e2e = new double[n];
        double[] tpot = new double[n];
        int nt = 0;
        int ne = 0;
        int np = 0;
        int finished = 0;
        int rejected = 0;
        long out = 0;
        long in = 0;
        List<FairnessRecord> recs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (!r.accepted()[i]) {
                rejected++;
                continue;
            }
            double a = w.arrival(i);
            double ft = r.firstTokenAt()[i];
            double fin = r.finishedAt()[i];
            if (!Double.isNaN(ft)) {
                ttft[nt++] = ft - a;
            }
            if (!Double.isNaN(fin)) {
                finished++;
                e2e[ne++] = fin - a;
                out += r.generated()[i];
                in += w.input(i);
                if (r.generated()[i] > 1 && !Double.isNaN(ft)) {
                    tpot[np++] = (fin - ft) / (r.generated()[i] - 1);
                }
            }
            boolean served = !Double.isNaN(ft) && !Double.isNaN(fin);
            recs.add(new FairnessRecord(w.tenant(i), a, served ? Math.max(a, ft) : Double.NaN, served ? Math.max(ft, fin) : Double.NaN,
                    w.input(i), r.generated()[i]));
        }
        double span = r.makespan() > 0 ? r.makespan() : 1;
        double utilSum = 0;
        for (double u : r.utilization()) {
            utilSum += u;
        }
        FairnessReport f = recs.isEmpty() ? null : FairnessMetrics.compute(recs, options.withWeights(w.weights()));
        var c = r.config();
        return new RunSummary(c.label(), c.policy(), c.predictor(), n, finished, rejected, r.makespan(), finished / span, out / span,
                (in + out) / span, pct(ttft, nt), pct(e2e, ne), pct(tpot, np), utilSum / span,
                f == null ? Double.NaN : f.maxServiceDifference(), f == null ? Double.NaN : f.avgServiceDifference(),
                f == null ? Double.NaN : f.varServiceDifference(), f == null ? Double.NaN : f.maxAccumulatedDifference(),
                f == null ? Double.NaN : f.meanJain(), r.stats().preemptions(), r.steps(), r.wallNanos() / 1e9, f);
    }

    /** p50, p90, p99 of the first {@code n} values (linear interpolation, as numpy); NaN when empty. */
    static double[] pct(double[] v, int n) {
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        double[] s = Arrays.copyOf(v, n);
        Arrays.sort(s);
        return new double[] {quantile(s, 0.5), quantile(s, 0.9), quantile(s, 0.99)};
    }

    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

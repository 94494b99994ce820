package dev.equinox.bench.report;

import dev.equinox.bench.sim.SimResult;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessReport;
import dev.equinox.metrics.ServingStats;

/**
 * The numbers reported for one run (one policy x predictor on one workload). Latencies in seconds; TTFT and
 * end-to-end latency count from the request's true arrival. Throughput is over the virtual makespan (first
 * arrival at 0 to the last finish). Utilization is the modelled GPU utilization averaged over the makespan (idle
 * time counts as 0). Fairness is {@link FairnessMetrics} with VTC's artifact rules and the workload's weights. The
 * request-level figures come from {@link ServingStats}, as a GPU run's do (equinox-gpu's serve-bench).
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
        int rejected = 0;
        ServingStats st = new ServingStats();
        for (int i = 0; i < n; i++) {
            if (!r.accepted()[i]) {
                rejected++;
                continue;
            }
            double fin = r.finishedAt()[i];
            st.add(w.tenant(i), w.arrival(i), r.firstTokenAt()[i], fin, fin, w.input(i), r.generated()[i]);
        }
        double span = r.makespan() > 0 ? r.makespan() : 1;
        double utilSum = 0;
        for (double u : r.utilization()) {
            utilSum += u;
        }
        FairnessReport f = st.fairness(options.withWeights(w.weights()));
        long out = st.finishedOutputTokens();
        long in = st.finishedInputTokens();
        var c = r.config();
        return new RunSummary(c.label(), c.policy(), c.predictor(), n, st.finished(), rejected, r.makespan(), st.finished() / span, out / span,
                (in + out) / span, st.ttft(), st.e2e(), st.tpot(), utilSum / span,
                f == null ? Double.NaN : f.maxServiceDifference(), f == null ? Double.NaN : f.avgServiceDifference(),
                f == null ? Double.NaN : f.varServiceDifference(), f == null ? Double.NaN : f.maxAccumulatedDifference(),
                f == null ? Double.NaN : f.meanJain(), r.stats().preemptions(), r.steps(), r.wallNanos() / 1e9, f);
    }

    /** p50, p90, p99 of the first {@code n} values ({@link ServingStats#percentiles}). */
    static double[] pct(double[] v, int n) {
        return ServingStats.percentiles(v, n);
    }
}

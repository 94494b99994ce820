package dev.equinox.bench.report;

import dev.equinox.bench.sim.CostModelRegistry;
import dev.equinox.bench.sim.SimResult;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.bench.workload.Workload;
import java.util.ArrayList;
import java.util.List;

/**
 * Several runs of the same workload (one per policy x predictor), with their summaries, ready for the reporters.
 *
 * @param workload the workload
 * @param results  the simulations
 * @param summaries their summaries, same order
 * @param measure  how the fairness columns price service
 * @param outputTokenPrice the output token's price in prompt tokens used by the fairness columns (2 for VTC's tokens)
 */
public record Comparison(Workload workload, List<SimResult> results, List<RunSummary> summaries, ServiceMeasure measure,
        double outputTokenPrice) {

    /** Runs summarised with VTC's token prices (w_p = 1, w_q = 2). */
    public Comparison(Workload workload, List<SimResult> results, List<RunSummary> summaries) {
        this(workload, results, summaries, ServiceMeasure.TOKENS, 2);
    }

    /** Summarises every result with VTC's token prices. */
    public static Comparison of(Workload w, List<SimResult> results) {
        return of(w, results, ServiceMeasure.TOKENS);
    }

    /** Summarises every result, pricing service for the fairness columns as {@code measure} says. */
    public static Comparison of(Workload w, List<SimResult> results, ServiceMeasure measure) {
        List<RunSummary> s = new ArrayList<>();
        double price = 2;
        for (SimResult r : results) {
            price = measure.outputTokenPrice(w, CostModelRegistry.create(r.config().costModel()));
            s.add(RunSummary.of(r, FairnessOptions.vtcArtifact().withTokenWeights(1, price)));
        }
        return new Comparison(w, List.copyOf(results), List.copyOf(s), measure, price);
    }
}

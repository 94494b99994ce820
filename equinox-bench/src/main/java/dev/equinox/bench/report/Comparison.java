package dev.equinox.bench.report;

import dev.equinox.bench.sim.CostModelRegistry;
import dev.equinox.bench.sim.SimResult;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.bench.workload.Workload;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    /** Summarises every result with VTC's token prices. */
    public static Comparison of(Workload w, List<SimResult> results) {
        return of(w, results, ServiceMeasure.TOKENS);
    }

    /** Summarises every result, pricing service for the fairness columns as {@code measure} says. */
    public static Comparison of(Workload w, List<SimResult> results, ServiceMeasure measure) {
        List<RunSummary> s = new ArrayList<>();
        FairnessOptions vtc = FairnessOptions.vtcArtifact();
        double price = vtc.outputWeight();
        Map<String, Double> priceByEngine = new HashMap<>(); // GPU pricing: one cost model per engine, not per run
        for (SimResult r : results) {
            if (measure == ServiceMeasure.GPU) {
                price = priceByEngine.computeIfAbsent(r.config().costModel(),
                        name -> measure.outputTokenPrice(w, CostModelRegistry.create(name)));
            }
            s.add(RunSummary.of(r, vtc.withTokenWeights(vtc.promptWeight(), price)));
        }
        return new Comparison(w, List.copyOf(results), List.copyOf(s), measure, price);
    }
}

package dev.equinox.bench.report;

import dev.equinox.bench.sim.SimResult;
import dev.equinox.bench.workload.Workload;
import java.util.ArrayList;
import java.util.List;

/**
 * Several runs of the same workload (one per policy x predictor), with their summaries, ready for the reporters.
 *
 * @param workload the workload
 * @param results  the simulations
 * @param summaries their summaries, same order
 */
public record Comparison(Workload workload, List<SimResult> results, List<RunSummary> summaries) {

    /** Summarises every result. */
    public static Comparison of(Workload w, List<SimResult> results) {
        List<RunSummary> s = new ArrayList<>();
        for (SimResult r : results) {
            s.add(RunSummary.of(r));
        }
        return new Comparison(w, List.copyOf(results), List.copyOf(s));
    }
}

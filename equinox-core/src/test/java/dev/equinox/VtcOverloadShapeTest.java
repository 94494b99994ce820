package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessRecord;
import dev.equinox.metrics.FairnessReport;
import dev.equinox.spi.SchedulingPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * VTC's two-tenant overload experiment (Sheng et al., OSDI 2024, Fig. "overload"): tenants at 1.5 and 3 req/s
 * (uniform arrivals), 256 prompt and 256 output tokens, for 6 minutes, on VTC's artifact engine (A10G step
 * times, 10,000 KV tokens, prefill-or-decode steps). Published shape: FCFS's average service difference several
 * times VTC's (453/436 vs 195/119 max/avg), with equal throughput. Deterministic: fixed arrivals, virtual time.
 */
class VtcOverloadShapeTest {
    private static final double DURATION = 360;

    /** The run's fairness report and its output-token throughput. */
    private record Outcome(FairnessReport fairness, double outputTokensPerSecond) {
    }

    private static Outcome run(SchedulingPolicy policy) {
        PolicyHarness h = new PolicyHarness(policy, CostModels.vtcA10g(),
                b -> b.batchingMode(BatchingMode.VTC_REFERENCE).kvCache(625, 16).maxRunning(1000).tokenBudget(3072));
        List<double[]> arrivals = new ArrayList<>(); // {time, tenant}
        double[] rates = {1.5, 3};
        for (int t = 0; t < rates.length; t++) {
            for (double at = 0; at < DURATION; at += 1 / rates[t]) {
                arrivals.add(new double[] {at, t});
            }
        }
        arrivals.sort((x, y) -> Double.compare(x[0], y[0]));
        Map<Long, Double> arrivedAt = new HashMap<>();
        int next = 0;
        while (next < arrivals.size() || !h.allTerminal()) {
            while (next < arrivals.size() && arrivals.get(next)[0] * 1e9 <= h.ticker.now) {
                double[] a = arrivals.get(next++);
                arrivedAt.put(h.submit("t" + (int) a[1], 256, 256, 256).id(), a[0]);
            }
            if (h.step().isEmpty() && next < arrivals.size()) {
                h.ticker.now = (long) Math.ceil(arrivals.get(next)[0] * 1e9);
            }
        }
        List<FairnessRecord> records = new ArrayList<>();
        long outputTokens = 0;
        for (RequestHandle r : h.handles) {
            records.add(new FairnessRecord(r.tenant(), arrivedAt.get(r.id()), r.firstTokenAtNanos() / 1e9,
                    r.finishedAtNanos() / 1e9, r.spec().promptTokens(), r.generatedTokens()));
            outputTokens += r.generatedTokens();
        }
        return new Outcome(FairnessMetrics.compute(records, FairnessOptions.vtcArtifact()), outputTokens / (h.ticker.now / 1e9));
    }

    @Test
    void overload_fcfsVersusVtc_fcfsServiceDifferenceSeveralTimesVtcsAtEqualThroughput() {
        Outcome fcfs = run(Policies.fcfs());
        Outcome vtc = run(Policies.vtc());
        double ratio = fcfs.fairness().avgServiceDifference() / vtc.fairness().avgServiceDifference();
        assertTrue(ratio >= 3, "published: 436 / 119 = 3.7; got FCFS " + fcfs.fairness().avgServiceDifference()
                + " / VTC " + vtc.fairness().avgServiceDifference());
        assertTrue(fcfs.fairness().maxServiceDifference() > 1.5 * vtc.fairness().maxServiceDifference(),
                "published max: 453 vs 195");
        assertEquals(1.0, vtc.outputTokensPerSecond() / fcfs.outputTokensPerSecond(), 0.02, "VTC matches FCFS's throughput");
    }
}

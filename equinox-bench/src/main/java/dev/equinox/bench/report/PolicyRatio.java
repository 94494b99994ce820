package dev.equinox.bench.report;

import java.util.ArrayList;
import java.util.List;

/**
 * One run's numbers divided by another's on the same workload: the "Equinox / VTC" ratios of the suite summary and of
 * {@code docs/results.md}. Below 1 is better for the numerator in p90 TTFT and service difference; above 1 is better
 * in throughput, utilization and Jain's index. A ratio whose denominator is 0 is 1 when the numerator is 0 too, NaN
 * otherwise (printed "-").
 *
 * @param workload         workload name
 * @param numerator        label of the numerator run (e.g. {@code equinox+moving-average})
 * @param denominator      label of the denominator run (e.g. {@code vtc+moving-average})
 * @param ttftP90          ratio of p90 TTFT
 * @param avgServiceDiff   ratio of the average service difference
 * @param maxServiceDiff   ratio of the maximum service difference
 * @param outTokPerSec     ratio of output tokens per second
 * @param utilization      ratio of the mean modelled GPU utilization
 * @param jain             ratio of Jain's index
 * @param numeratorJain    the numerator run's Jain's index
 * @param denominatorJain  the denominator run's Jain's index
 */
public record PolicyRatio(String workload, String numerator, String denominator, double ttftP90, double avgServiceDiff,
        double maxServiceDiff, double outTokPerSec, double utilization, double jain, double numeratorJain, double denominatorJain) {

    /**
     * The ratios of every run of policy {@code numerator} in {@code c} over the run of policy {@code denominator} with the
     * same predictor (or, when there is none, the first run of that policy). Empty when either policy did not run.
     */
    public static List<PolicyRatio> of(Comparison c, String numerator, String denominator) {
        List<PolicyRatio> out = new ArrayList<>();
        for (RunSummary n : c.summaries()) {
            if (!n.policy().equals(numerator)) {
                continue;
            }
            RunSummary d = partner(c, denominator, n.predictor());
            if (d != null) {
                out.add(of(c.workload().name(), n, d));
            }
        }
        return out;
    }

    /** {@link #of(Comparison, String, String)} over several comparisons, in order. */
    public static List<PolicyRatio> of(List<Comparison> cs, String numerator, String denominator) {
        List<PolicyRatio> out = new ArrayList<>();
        for (Comparison c : cs) {
            out.addAll(of(c, numerator, denominator));
        }
        return out;
    }

    /** The ratios of run {@code n} over run {@code d}. */
    public static PolicyRatio of(String workload, RunSummary n, RunSummary d) {
        return new PolicyRatio(workload, n.label(), d.label(), ratio(n.ttft()[1], d.ttft()[1]), ratio(n.avgServiceDiff(), d.avgServiceDiff()),
                ratio(n.maxServiceDiff(), d.maxServiceDiff()), ratio(n.outTokPerSec(), d.outTokPerSec()),
                ratio(n.utilization(), d.utilization()), ratio(n.jain(), d.jain()), n.jain(), d.jain());
    }

    private static RunSummary partner(Comparison c, String policy, String predictor) {
        RunSummary first = null;
        for (RunSummary s : c.summaries()) {
            if (s.policy().equals(policy)) {
                if (s.predictor().equals(predictor)) {
                    return s;
                }
                if (first == null) {
                    first = s;
                }
            }
        }
        return first;
    }

    static double ratio(double a, double b) {
        if (b == 0) {
            return a == 0 ? 1 : Double.NaN;
        }
        return a / b;
    }

    /**
     * The six ratios as shown by every reporter, in order: p90 TTFT, average and maximum service difference (2
     * decimals), output tokens/s, utilization and Jain's index (3 decimals).
     */
    String[] cells() {
        return new String[] {Fmt.f(ttftP90(), 2), Fmt.f(avgServiceDiff(), 2), Fmt.f(maxServiceDiff(), 2), Fmt.f(outTokPerSec(), 3),
            Fmt.f(utilization(), 3), Fmt.f(jain(), 3)};
    }
}

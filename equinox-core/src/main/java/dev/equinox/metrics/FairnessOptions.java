package dev.equinox.metrics;

import java.util.Map;
import java.util.Objects;

/**
 * How {@link FairnessMetrics} samples a run. The defaults ({@link #vtcArtifact()}) are the rules of VTC's
 * artifact (Sheng et al., OSDI 2024, {@code fair_bench/plot/visualize.py}), so that the numbers are comparable
 * with its published tables:
 * <ul>
 * <li>T = int(last arrival); {@code ticks} ticks x_i = (T - warmup) / ticks * i, i = 0 .. ticks-1
 * (defaults 100 ticks, 30 s warm-up);</li>
 * <li>windowed service and demand over [x_i + warmup - window/2, x_i + warmup + window/2], i.e. [x_i, x_i + 60]
 * for the default 60 s window, divided by the window length (token-cost per second);</li>
 * <li>accumulated service over [warmup, x_i + warmup];</li>
 * <li>requests finishing before 1 s, or with a zero-length service interval, are left out of the service.</li>
 * </ul>
 *
 * @param ticks              number of ticks (&gt;= 1)
 * @param warmupSeconds      warm-up (&gt;= 0)
 * @param windowSeconds      window length (&gt; 0)
 * @param promptWeight       w_p (default 1)
 * @param outputWeight       w_q (default 2)
 * @param skipFinishedBefore see {@link ServiceTimeline#of(java.util.Collection, double, double, double)}; default 1
 * @param weights            tenant weights (absent tenants weigh 1); service and demand are divided by them
 */
public record FairnessOptions(int ticks, double warmupSeconds, double windowSeconds, double promptWeight,
        double outputWeight, double skipFinishedBefore, Map<String, Double> weights) {

    public FairnessOptions {
        if (ticks < 1) {
            throw new IllegalArgumentException("ticks must be >= 1, got " + ticks);
        }
        if (!(warmupSeconds >= 0) || !(windowSeconds > 0) || Double.isInfinite(warmupSeconds) || Double.isInfinite(windowSeconds)) {
            throw new IllegalArgumentException("warmup must be finite and >= 0 and window finite and > 0, got " + warmupSeconds
                    + ", " + windowSeconds);
        }
        if (!(promptWeight >= 0) || !(outputWeight >= 0) || Double.isInfinite(promptWeight) || Double.isInfinite(outputWeight)
                || promptWeight + outputWeight == 0) {
            throw new IllegalArgumentException("token weights must be finite, >= 0 and not both 0, got " + promptWeight + ", "
                    + outputWeight);
        }
        weights = Map.copyOf(Objects.requireNonNull(weights, "weights"));
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("weight of tenant '" + e.getKey() + "' must be finite and > 0, got " + e.getValue());
            }
        }
    }

    /** VTC artifact's sampling: 100 ticks, 30 s warm-up, 60 s window, w_p = 1, w_q = 2, skip before 1 s. */
    public static FairnessOptions vtcArtifact() {
        return new FairnessOptions(100, 30, 60, 1, 2, 1, Map.of());
    }

    /** A copy with tenant weights. */
    public FairnessOptions withWeights(Map<String, Double> tenantWeights) {
        return new FairnessOptions(ticks, warmupSeconds, windowSeconds, promptWeight, outputWeight, skipFinishedBefore, tenantWeights);
    }

    /** A copy with another window and warm-up. */
    public FairnessOptions withWindow(double warmup, double window) {
        return new FairnessOptions(ticks, warmup, window, promptWeight, outputWeight, skipFinishedBefore, weights);
    }

    /** A copy that prices service with other token weights (w_p per prompt token, w_q per output token). */
    public FairnessOptions withTokenWeights(double prompt, double output) {
        return new FairnessOptions(ticks, warmupSeconds, windowSeconds, prompt, output, skipFinishedBefore, weights);
    }

    /** A copy with another tick count. */
    public FairnessOptions withTicks(int n) {
        return new FairnessOptions(n, warmupSeconds, windowSeconds, promptWeight, outputWeight, skipFinishedBefore, weights);
    }

    /** The weight of a tenant (1 when not given). */
    public double weight(String tenant) {
        Double w = weights.get(tenant);
        return w == null ? 1.0 : w;
    }
}

package dev.equinox.spi;

/**
 * What a {@link Predictor} says about a request before it runs: output tokens (always), and optionally its
 * latency on the current engine, its throughput and the GPU utilization it drives (NaN when the predictor does
 * not know; the scheduler then derives them from its {@link EngineCostModel}).
 *
 * @param outputTokens              predicted output tokens, at least 1
 * @param latencySeconds            predicted end-to-end latency (NaN if unknown)
 * @param throughputTokensPerSecond predicted decode throughput of the request (NaN if unknown)
 * @param gpuUtilization            predicted GPU utilization in [0, 1] while it runs (NaN if unknown)
 */
public record Prediction(int outputTokens, double latencySeconds, double throughputTokensPerSecond,
        double gpuUtilization) {

    public Prediction {
        if (outputTokens < 1) {
            throw new IllegalArgumentException("outputTokens must be >= 1, got " + outputTokens);
        }
    }

    /** A prediction of output tokens only. */
    public static Prediction ofTokens(int outputTokens) {
        return new Prediction(outputTokens, Double.NaN, Double.NaN, Double.NaN);
    }
}

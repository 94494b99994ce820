package dev.equinox.metrics;

import java.util.Objects;

/**
 * What the fairness metrics need to know about one finished request: its tenant, when it arrived, when its first
 * token and its last token were produced (seconds on any common clock), and its input and output lengths.
 *
 * <p>A request that never produced a token (aborted while waiting) has {@code firstTokenSeconds} and
 * {@code finishSeconds} set to {@link Double#NaN}: it counts as demand, never as service.
 *
 * @param tenant            tenant id
 * @param arrivalSeconds    arrival (submission) time
 * @param firstTokenSeconds time of the first output token, or NaN
 * @param finishSeconds     time of the last output token, or NaN
 * @param inputTokens       prompt tokens (&gt;= 0)
 * @param outputTokens      output tokens produced (&gt;= 0)
 */
public record FairnessRecord(String tenant, double arrivalSeconds, double firstTokenSeconds, double finishSeconds,
        int inputTokens, int outputTokens) {

    /**
     * @throws IllegalArgumentException for a null tenant, a non-finite arrival, negative lengths, or times out of
     *                                  order (first token before arrival, finish before first token)
     */
    public FairnessRecord {
        Objects.requireNonNull(tenant, "tenant");
        if (!Double.isFinite(arrivalSeconds)) {
            throw new IllegalArgumentException("arrivalSeconds must be finite, got " + arrivalSeconds);
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, got input " + inputTokens + ", output " + outputTokens);
        }
        boolean served = !Double.isNaN(firstTokenSeconds);
        if (served != !Double.isNaN(finishSeconds)) {
            throw new IllegalArgumentException("firstTokenSeconds and finishSeconds must both be set or both NaN, got "
                    + firstTokenSeconds + " and " + finishSeconds);
        }
        if (served && (firstTokenSeconds < arrivalSeconds || finishSeconds < firstTokenSeconds
                || Double.isInfinite(finishSeconds))) {
            throw new IllegalArgumentException("times out of order for tenant '" + tenant + "': arrival " + arrivalSeconds
                    + ", first token " + firstTokenSeconds + ", finish " + finishSeconds);
        }
    }

    /** Whether the request produced at least one token. */
    public boolean served() {
        return !Double.isNaN(firstTokenSeconds);
    }

    /** VTC's cost of the request: {@code promptWeight * input + outputWeight * output}. */
    public double cost(double promptWeight, double outputWeight) {
        return promptWeight * inputTokens + outputWeight * outputTokens;
    }
}

package dev.equinox.gpu;

/**
 * One request of a benchmark run: when it arrives (seconds after the start), its tenant, its prompt length and
 * the number of output tokens after which the host loop reports a stop token.
 */
public record BenchRequest(double arrivalSeconds, String tenant, int promptTokens, int outputTokens) {
    public BenchRequest {
        if (!(arrivalSeconds >= 0) || Double.isInfinite(arrivalSeconds)) {
            throw new IllegalArgumentException("arrivalSeconds must be finite and >= 0, got " + arrivalSeconds);
        }
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("tenant must be non-blank");
        }
        if (promptTokens <= 0 || outputTokens <= 0) {
            throw new IllegalArgumentException("promptTokens and outputTokens must be > 0, got " + promptTokens + ", " + outputTokens);
        }
    }
}

package dev.equinox.spi;

/**
 * How long the serving engine takes for a step, and what share of it each request is responsible for. Used by
 * the holistic policy (idle-engine latency for the User Fairness Counter, per-request modelled cost for the
 * Resource Fairness Counter), by adaptive batching, and by the simulator as its clock.
 *
 * <p>A step is described by primitives so that no object is built per step:
 * <ul>
 * <li>{@code prefillTokens}: prompt tokens processed in the step (all chunks);</li>
 * <li>{@code prefillAttendedPairs}: sum over chunks of (chunk tokens x context length at the end of the
 * chunk): the quadratic attention work of prefill;</li>
 * <li>{@code decodeSequences}: sequences producing one token each;</li>
 * <li>{@code decodeContextTokens}: sum of their context lengths (KV read by decode attention).</li>
 * </ul>
 */
public interface EngineCostModel {

    /** Modelled wall time of one step in seconds (GPU time plus the engine's CPU overhead per step). */
    double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens);

    /**
     * Modelled GPU utilization of the step in [0, 1], in NVML's sense: the fraction of the step during which a
     * kernel runs. Default: 1 minus the fixed CPU overhead's share.
     */
    default double utilization(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        double t = stepSeconds(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
        return t <= 0 ? 0 : Math.max(0, Math.min(1, 1 - cpuOverheadSeconds() / t));
    }

    /** Fixed CPU-side overhead per step in seconds (scheduling, sampling, input preparation). Default 0. */
    default double cpuOverheadSeconds() {
        return 0;
    }

    /** Marginal modelled cost (seconds) of one prefill chunk of {@code chunkTokens} ending at {@code contextAfter}. */
    double prefillCost(int chunkTokens, int contextAfter);

    /** Marginal modelled cost (seconds) of one decode token with {@code contextTokens} of context. */
    double decodeCost(int contextTokens);

    /**
     * Latency in seconds of a request alone on an idle engine: one prefill of the prompt, then
     * {@code outputTokens - 1} decode steps at batch 1.
     */
    default double idleLatencySeconds(int promptTokens, int outputTokens) {
        double t = stepSeconds(promptTokens, (long) promptTokens * promptTokens, 0, 0);
        // decode steps with growing context: use the mean context (exact for a model linear in context)
        int steps = Math.max(0, outputTokens - 1);
        if (steps > 0) {
            long meanContext = promptTokens + (long) outputTokens / 2;
            t += steps * stepSeconds(0, 0, 1, meanContext);
        }
        return t;
    }

    /** A short description for reports ("linear", "roofline a100 llama-2-7b"...). */
    default String describe() {
        return getClass().getSimpleName();
    }
}

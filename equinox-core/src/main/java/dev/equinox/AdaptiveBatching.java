package dev.equinox;

import dev.equinox.spi.EngineCostModel;

/**
 * Adaptive batch sizing: a multiplicative-decrease / additive-increase controller (as in TCP and Netflix
 * concurrency-limits' AIMD) on the per-step token budget, steering the step time (which every running request
 * waits for each output token) towards a target time per output token.
 *
 * <p>After every step that decoded, the step time (measured, or modelled by the {@link EngineCostModel} when the
 * engine reports 0) is compared with the target:
 * <ul>
 * <li>above 105 % of the target, the token budget shrinks by 10 % (never below one chunk), but only if the step
 * had prefill chunks and the cost model says that a step with the same decodes and a one-chunk prefill would meet
 * the target;</li>
 * <li>under 90 % of the target, or while the measured GPU utilization is below 90 %, it grows by 5 % + 1 up to
 * the configured budget.</li>
 * </ul>
 * Steps without decodes leave the controller alone. The running-sequence cap stays at its configured value (KV
 * capacity bounds admission independently).
 *
 * <p>Why only the budget, and only where it helps (measured, docs/fairness.md): prefill chunks are what stretch a
 * step, and a smaller chunk costs little throughput (Sarathi-Serve, OSDI 2024), so trimming them keeps decodes
 * near the target: on the Azure code trace TPOT p50 is 96 ms with the controller and 172 ms without, for 4 % more
 * p90 TTFT. But where a prefill step carries a large fixed cost (VTC's A10G model: 70 ms), no chunk keeps a step
 * under 100 ms once 50 sequences decode; trimming there only cut prefill throughput (a six-tenant burst took
 * 43.6 s instead of 41.2 s), hence the one-chunk check. Lowering the running cap when the decodes alone exceed
 * the target, as an earlier version did, costs throughput on every cost model we have (400 long requests on the
 * A10G model: makespan 147 s instead of 124 s), so the controller does not touch it.
 */
final class AdaptiveBatching {
    /**
     * Default target time per output token: 100 ms, the chatbot TPOT objective used by DistServe (OSDI 2024).
     * A tighter default (50 ms) made the earlier controller, which also lowered the running cap, halve that cap on
     * the VTC A10G model, whose decode step alone passes 50 ms at 36 sequences: throughput fell and a newly arrived
     * tenant waited for a whole request to finish before a slot opened (measured in the conformance kit's
     * light-tenant test).
     */
    static final double DEFAULT_TARGET_TPOT_SECONDS = 0.1;

    private final boolean enabled;
    private final int maxBudget;
    private final int maxCap;
    private final int minBudget;
    private final double target;
    private final EngineCostModel model;
    private int budget;

    /**
     * @param enabled       whether the controller acts (when false, the budget stays at its maximum)
     * @param maxBudget     configured token budget per step, the upper bound
     * @param maxCap        configured running-sequence cap (kept as is)
     * @param minBudget     smallest budget (one prefill chunk), at least 1
     * @param targetSeconds target time per output token, i.e. per decode step
     * @param model         the engine cost model (step times when not measured, and the attainability check)
     */
    AdaptiveBatching(boolean enabled, int maxBudget, int maxCap, int minBudget, double targetSeconds, EngineCostModel model) {
        this.enabled = enabled;
        this.maxBudget = maxBudget;
        this.maxCap = maxCap;
        this.minBudget = Math.max(1, Math.min(minBudget, maxBudget));
        this.target = targetSeconds;
        this.model = model;
        this.budget = maxBudget;
    }

    /** Token budget for the next step. */
    int budget() {
        return budget;
    }

    /** Running-sequence cap for the next step: the configured one. */
    int maxRunning() {
        return maxCap;
    }

    /** Adjusts the budget after step {@code b} took {@code seconds} (0: unknown) at the given utilization (NaN: unknown). */
    void observe(Batch b, double seconds, double measuredUtilization) {
        if (!enabled || b.decodeCount == 0) {
            return;
        }
        double t = seconds > 0 ? seconds : model.stepSeconds(b.prefillTokens, b.prefillAttendedPairs, b.decodeCount, b.decodeContextTokens);
        if (t > target * 1.05) {
            if (b.prefillTokens > 0 && oneChunkStepSeconds(b) <= target) {
                budget = Math.max(minBudget, (int) (budget * 0.9));
            }
        } else if (t < target * 0.9 || (!Double.isNaN(measuredUtilization) && measuredUtilization < 0.9)) {
            budget = Math.min(maxBudget, budget + budget / 20 + 1);
        }
    }

    /** Modelled time of step {@code b} with its prefill cut to one chunk (attention work scaled alike). */
    private double oneChunkStepSeconds(Batch b) {
        int p = Math.min(minBudget, b.prefillTokens);
        long pairs = (long) ((double) b.prefillAttendedPairs * p / b.prefillTokens);
        return model.stepSeconds(p, pairs, b.decodeCount, b.decodeContextTokens);
    }
}

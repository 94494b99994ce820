package dev.equinox;

import dev.equinox.spi.EngineCostModel;

/**
 * Adaptive batch sizing: a multiplicative-decrease / additive-increase controller (as in TCP and Netflix
 * concurrency-limits' AIMD) on the per-step token budget and the running-sequence cap, steering the step time
 * (which every running request waits for each output token) towards a target time per output token.
 *
 * <p>After every step that decoded, the step time (measured, or modelled by the {@link EngineCostModel} when the
 * engine reports 0) is compared with the target:
 * <ul>
 * <li>above 105 % of the target, the token budget shrinks by 10 % (never below one chunk), but only if the step
 * had prefill chunks and the cost model says that a step with the same decodes and a one-chunk prefill would meet
 * the target; and the running cap shrinks to 90 % of the step's decodes (never below 1) if the decodes alone
 * exceed the target;</li>
 * <li>under 90 % of the target, or while the measured GPU utilization is below 90 %, both grow by 5 % + 1 up to
 * their configured values.</li>
 * </ul>
 * KV capacity bounds admission independently. Steps without decodes leave the controller alone.
 *
 * <p>Why the attainability check: where a prefill step carries a large fixed cost (VTC's A10G model: 70 ms), no
 * prefill chunk, however small, keeps a step under a 100 ms target once 50 sequences decode, so shrinking the
 * budget only cut prefill throughput: the conformance kit's six-tenant burst took 43.6 s instead of 41.2 s
 * (Equinox) and 42.9 s instead of 41.0 s (VTC) with the controller on. With the check the controller leaves such
 * budgets alone and still acts where the target is reachable (docs/fairness.md has the before/after numbers).
 */
final class AdaptiveBatching {
    /**
     * Default target time per output token: 100 ms, the chatbot TPOT objective used by DistServe (OSDI 2024).
     * A tighter default (50 ms) made the controller halve the running cap on the VTC A10G model, whose decode
     * step alone passes 50 ms at 36 sequences: throughput fell and a newly arrived tenant waited for a whole
     * request to finish before a slot opened (measured in the conformance kit's light-tenant test).
     */
    static final double DEFAULT_TARGET_TPOT_SECONDS = 0.1;

    private final boolean enabled;
    private final int maxBudget;
    private final int maxCap;
    private final int minBudget;
    private final double target;
    private final EngineCostModel model;
    private int budget;
    private int cap;

    /**
     * @param enabled       whether the controller acts (when false, budget and cap stay at their maxima)
     * @param maxBudget     configured token budget per step, the upper bound
     * @param maxCap        configured running-sequence cap, the upper bound
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
        this.cap = maxCap;
    }

    boolean enabled() {
        return enabled;
    }

    /** Token budget for the next step. */
    int budget() {
        return budget;
    }

    /** Running-sequence cap for the next step. */
    int maxRunning() {
        return cap;
    }

    /** Adjusts budget and cap after step {@code b} took {@code seconds} (0: unknown) at the given utilization. */
    void observe(Batch b, double seconds, double measuredUtilization) {
        if (!enabled || b.decodeCount == 0) {
            return;
        }
        double t = seconds > 0 ? seconds : model.stepSeconds(b.prefillTokens, b.prefillAttendedPairs, b.decodeCount, b.decodeContextTokens);
        if (t > target * 1.05) {
            if (b.prefillTokens > 0 && oneChunkStepSeconds(b) <= target) {
                budget = Math.max(minBudget, (int) (budget * 0.9));
            }
            double decodeOnly = model.stepSeconds(0, 0, b.decodeCount, b.decodeContextTokens);
            if (decodeOnly > target) {
                cap = Math.max(1, Math.min(cap, (int) (b.decodeCount * 0.9)));
            }
        } else if (t < target * 0.9 || (!Double.isNaN(measuredUtilization) && measuredUtilization < 0.9)) {
            budget = Math.min(maxBudget, budget + budget / 20 + 1);
            cap = Math.min(maxCap, cap + cap / 20 + 1);
        }
    }

    /** Modelled time of step {@code b} with its prefill cut to one chunk (attention work scaled alike). */
    private double oneChunkStepSeconds(Batch b) {
        int p = Math.min(minBudget, b.prefillTokens);
        long pairs = (long) ((double) b.prefillAttendedPairs * p / b.prefillTokens);
        return model.stepSeconds(p, pairs, b.decodeCount, b.decodeContextTokens);
    }
}

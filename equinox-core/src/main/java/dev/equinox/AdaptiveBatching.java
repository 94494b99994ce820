package dev.equinox;

import dev.equinox.spi.EngineCostModel;

/**
 * Adaptive batch sizing: a multiplicative-decrease / additive-increase controller (as in TCP and Netflix
 * concurrency-limits' AIMD) on the per-step token budget and the running-sequence cap.
 *
 * <p>After every step that decoded, the step time (measured, or modelled by the {@link EngineCostModel} when the
 * engine reports 0) is compared with the target time per output token: above the target by more than 5 %, the
 * token budget shrinks by 10 % (never below one chunk) and, if the decodes alone exceed the target, the running
 * cap shrinks by 10 % too; under 90 % of the target, or while the measured GPU utilization is below 90 %, both
 * grow back by 5 % + 1 up to their configured values. KV capacity bounds admission independently.
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

    AdaptiveBatching(boolean enabled, int maxBudget, int maxCap, int minBudget, double targetSeconds, EngineCostModel model) {
        this.enabled = enabled;
        this.maxBudget = maxBudget;
        this.maxCap = maxCap;
        this.minBudget = Math.max(1, minBudget);
        this.target = targetSeconds;
        this.model = model;
        this.budget = maxBudget;
        this.cap = maxCap;
    }

    boolean enabled() {
        return enabled;
    }

    int budget() {
        return budget;
    }

    int maxRunning() {
        return cap;
    }

    void observe(Batch b, double seconds, double measuredUtilization) {
        if (!enabled || b.decodeCount == 0) {
            return;
        }
        double t = seconds > 0 ? seconds : model.stepSeconds(b.prefillTokens, b.prefillAttendedPairs, b.decodeCount, b.decodeContextTokens);
        if (t > target * 1.05) {
            budget = Math.max(minBudget, (int) (budget * 0.9));
            double decodeOnly = model.stepSeconds(0, 0, b.decodeCount, b.decodeContextTokens);
            if (decodeOnly > target) {
                cap = Math.max(1, Math.min(cap, (int) (b.decodeCount * 0.9)));
            }
        } else if (t < target * 0.9 || (!Double.isNaN(measuredUtilization) && measuredUtilization < 0.9)) {
            budget = Math.min(maxBudget, budget + budget / 20 + 1);
            cap = Math.min(maxCap, cap + cap / 20 + 1);
        }
    }
}

package dev.equinox;

/** How steps are formed. */
public enum BatchingMode {
    /**
     * Stall-free (Sarathi-Serve): every step continues all running decodes, then fills the remaining token
     * budget with prefill chunks; long prompts are split over steps; decodes are never paused. KV is reserved
     * for the prompt plus the predicted output (plus a margin) and grown on demand, preempting when it runs out.
     */
    STALL_FREE,
    /**
     * VTC's artifact engine (S-LoRA router), for like-for-like comparisons: a step either prefills a whole new
     * mini-batch or decodes the running batch; admission is tried when nothing runs or after 10 decode steps
     * since the last admission; KV is reserved for the maximum output (no preemption); the artifact's admission
     * check and prefill budget {@code max(capacity / 6, 3072)} apply.
     */
    VTC_REFERENCE;

    /**
     * The prefill token budget a step applies: {@code configured} (the builder's {@code tokenBudget}), except in
     * {@link #VTC_REFERENCE}, where the artifact's {@code max(kvTokens / 6, 3072)} replaces it.
     */
    public int tokenBudget(int configured, long kvTokens) {
        return this == VTC_REFERENCE ? (int) Math.min(Integer.MAX_VALUE, Math.max(kvTokens / 6, 3072)) : configured;
    }
}

package dev.equinox;

/**
 * An immutable snapshot of the scheduler's counts, read from any thread with {@link Scheduler#stats()}. Counts
 * are cumulative since the scheduler was built unless named otherwise.
 *
 * @param waiting            requests waiting (including submissions not yet drained)
 * @param running            requests running
 * @param kvBlocksTotal      KV cache capacity in blocks
 * @param kvBlocksUsed       blocks reserved by running requests
 * @param submitted          accepted submissions
 * @param rejected           rejected submissions
 * @param finished           requests finished (stop or length)
 * @param cancelled          requests cancelled or aborted
 * @param failed             requests failed (scheduler closed)
 * @param preemptions        preemptions
 * @param promptTokens       prompt tokens processed (first computation only; recompute excluded)
 * @param generationTokens   output tokens produced
 * @param steps              steps completed
 * @param failedSteps        steps the engine reported as failed
 * @param tokenBudget        current per-step token budget (adaptive batching moves it)
 * @param maxRunning         current running-sequence cap
 */
public record SchedulerStats(int waiting, int running, int kvBlocksTotal, int kvBlocksUsed, long submitted,
        long rejected, long finished, long cancelled, long failed, long preemptions, long promptTokens,
        long generationTokens, long steps, long failedSteps, int tokenBudget, int maxRunning) {

    /** KV cache usage in [0, 1]. */
    public double kvUsage() {
        return kvBlocksTotal == 0 ? 0 : (double) kvBlocksUsed / kvBlocksTotal;
    }
}

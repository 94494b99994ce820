package dev.equinox;

/**
 * The outcome a request's future completes with (finished or cancelled). Timestamps are nanoseconds of the
 * scheduler's {@link Ticker}; -1 where the event never happened.
 *
 * @param requestId        the scheduler-assigned id
 * @param tenant           the tenant id
 * @param status           {@link RequestStatus#FINISHED} or {@link RequestStatus#CANCELLED}
 * @param finishReason     why it stopped
 * @param promptTokens     prompt length
 * @param outputTokens     output tokens produced
 * @param preemptions      how many times it was preempted and recomputed
 * @param queuedAtNanos    submission time
 * @param firstScheduledAtNanos first admission
 * @param firstTokenAtNanos     first output token
 * @param finishedAtNanos       terminal time
 */
public record RequestResult(long requestId, String tenant, RequestStatus status, FinishReason finishReason,
        int promptTokens, int outputTokens, int preemptions, long queuedAtNanos, long firstScheduledAtNanos,
        long firstTokenAtNanos, long finishedAtNanos) {

    /** Time to first token in seconds, or NaN when no token was produced. */
    public double ttftSeconds() {
        return firstTokenAtNanos < 0 ? Double.NaN : (firstTokenAtNanos - queuedAtNanos) / 1e9;
    }

    /** End-to-end latency in seconds. */
    public double e2eSeconds() {
        return (finishedAtNanos - queuedAtNanos) / 1e9;
    }
}

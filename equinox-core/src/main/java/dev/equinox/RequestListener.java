package dev.equinox;

/**
 * Callbacks on request events, invoked on the engine thread in the order they happen (the terminal events of
 * requests failed by {@link Scheduler#close()} may come from the closing thread, or from a submitting thread
 * whose submission raced the close), but never from two threads at once. Implementations must be fast, must not
 * throw (one that throws from {@code onTerminal} is logged and skipped; the request's future still completes), and
 * must not call back into the scheduler. Default methods do nothing.
 */
public interface RequestListener {
    /** {@code r} was admitted into the running set (also after a preemption). */
    default void onAdmitted(RequestHandle r, long stepId) {
    }

    /** {@code r} produced its first token. */
    default void onFirstToken(RequestHandle r) {
    }

    /** {@code r} was preempted. */
    default void onPreempted(RequestHandle r) {
    }

    /** {@code r} reached a terminal state; {@code result} is what its future completes with (null if failed). */
    default void onTerminal(RequestHandle r, RequestResult result) {
    }

    /** A step completed with its batch and measured duration. */
    default void onStep(Batch batch, long durationNanos, double gpuUtilization) {
    }
}

package dev.equinox;

import java.util.concurrent.CompletableFuture;

/**
 * A submitted request as the caller (and a {@link dev.equinox.spi.SchedulingPolicy}) sees it. Getters may be
 * read from any thread; values written by the engine thread become visible with the usual memory-model lag
 * except {@link #status()}, which is volatile. Timestamps are {@link Ticker} nanoseconds, -1 until they happen.
 */
public interface RequestHandle {
    /** Scheduler-assigned id, unique and increasing in submission order. */
    long id();

    /** Tenant id as submitted. */
    String tenant();

    /** Dense index of the tenant inside this scheduler (0, 1, 2, ...), stable for its lifetime. */
    int tenantIndex();

    /** The submitted spec. */
    RequestSpec spec();

    /** Current status. */
    RequestStatus status();

    /** Output tokens produced so far (kept across preemptions). */
    int generatedTokens();

    /** Predicted output tokens in use for admission and charging (the fallback until a prediction arrives). */
    int predictedOutputTokens();

    /** Times this request was preempted (KV freed, recomputed later). */
    int preemptions();

    long queuedAtNanos();

    long firstScheduledAtNanos();

    long firstTokenAtNanos();

    long finishedAtNanos();

    /**
     * Completes with the {@link RequestResult} when the request finishes or is cancelled; exceptionally with an
     * {@link EquinoxException} when it fails (the scheduler was closed first). It is completed on the engine
     * thread (or, at close, on the closing thread): attach heavy callbacks with the {@code *Async} variants.
     */
    CompletableFuture<RequestResult> completion();

    /**
     * Asks to cancel. Never blocks: the engine thread applies it at its next {@code nextBatch()}. Returns false
     * when the request is already terminal.
     */
    boolean cancel();
}

package dev.equinox.spi;

import dev.equinox.RequestSpec;

/**
 * Predicts, before a request runs, how many tokens it will produce (and optionally what it will cost). The
 * scheduler calls {@link #predict} off the {@code nextBatch()} hot path: on the engine thread while draining
 * submissions for cheap predictors, or on the builder's prediction executor for {@linkplain #isBlocking()
 * blocking} ones (a model such as MoPE); a request whose prediction is not ready when it is admitted uses the
 * fallback predictor's value.
 *
 * <p>Implementations must be deterministic for a given input and state. {@link #observe(RequestSpec, int, int)}
 * feeds back the true output length when a request finishes; it is called on the engine thread. A {@linkplain #isBlocking() blocking}
 * predictor's {@link #predict} runs on the prediction executor, so it may run concurrently with {@link #observe(RequestSpec, int, int)}:
 * a blocking predictor that keeps state must make the two safe together.
 */
public interface Predictor extends AutoCloseable {

    /** A short, stable name used in reports ("oracle", "moving-average", "mope"...). */
    String name();

    /** Predicts for one request. Must not return null; may throw, in which case the fallback is used. */
    Prediction predict(RequestSpec request);

    /** The true output length of a finished request. Default: ignored. */
    default void observe(RequestSpec request, int actualOutputTokens) {
    }

    /**
     * The true output length of a finished request, with this predictor's own prediction for it as the scheduler
     * received it (clamped to the request's output cap), or 0 when there was none (it threw, or a blocking
     * prediction never arrived). This is what the scheduler calls; a predictor that learns from its own errors
     * ({@code Predictors.calibrated}) overrides it. Default: {@link #observe(RequestSpec, int)}.
     */
    default void observe(RequestSpec request, int actualOutputTokens, int predictedOutputTokens) {
        observe(request, actualOutputTokens);
    }

    /**
     * Whether {@link #predict} may take long enough (more than a few microseconds) that it must run on the
     * prediction executor rather than the engine thread. Default false.
     */
    default boolean isBlocking() {
        return false;
    }

    /** Releases resources (native models). Default: nothing. */
    @Override
    default void close() {
    }
}

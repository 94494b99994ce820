package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;
import java.util.Locale;
import java.util.Objects;

/**
 * Wraps any {@link EngineCostModel} and corrects it from measured step times. Each {@link #observe} compares the
 * measured step with the delegate's prediction and moves an exponentially weighted moving average (EWMA) of the
 * ratio {@code measured / modelled} towards it; steps with prefill tokens and decode-only steps keep separate
 * ratios, since a model is usually wrong by different factors when compute-bound and when memory-bound. Until
 * {@code 1 / alpha} steps of a kind have been seen the ratio is their plain mean, so the first observation already
 * counts in full. Ratios are clamped to [1/16, 16] per observation so that one outlier (a stall, a clock
 * hiccup) cannot wreck the estimate.
 *
 * <p>{@link #stepSeconds}, {@link #prefillCost} and {@link #decodeCost} are the delegate's values times the ratio of
 * the step's kind; {@link #utilization} keeps the delegate's CPU seconds and scales the GPU part.
 *
 * <p>Threading: {@link #observe} is called by one thread (the engine loop); the ratios are volatile, so other
 * threads read recent values. Primitives only, no allocation per call.
 */
public final class OnlineCorrectedCostModel implements EngineCostModel {
    /** Default EWMA weight of a new observation. */
    public static final double DEFAULT_ALPHA = 0.05;
    private static final double MAX_RATIO = 16;

    private final EngineCostModel delegate;
    private final double alpha;
    private volatile double prefillRatio = 1;
    private volatile double decodeRatio = 1;
    private volatile long prefillObservations;
    private volatile long decodeObservations;

    /**
     * @param delegate the model to correct
     * @param alpha    EWMA weight of a new observation, in (0, 1]
     */
    public OnlineCorrectedCostModel(EngineCostModel delegate, double alpha) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
        }
        this.alpha = alpha;
    }

    /**
     * Records one executed step and its measured wall time. Steps the delegate models as taking no time, and
     * non-positive or non-finite measurements, are ignored.
     */
    public void observe(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens,
            double measuredSeconds) {
        double modelled = delegate.stepSeconds(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
        if (!(modelled > 0) || !(measuredSeconds > 0) || Double.isInfinite(measuredSeconds)) {
            return;
        }
        double ratio = Math.max(1 / MAX_RATIO, Math.min(MAX_RATIO, measuredSeconds / modelled));
        if (prefillTokens > 0) {
            long n = ++prefillObservations;
            prefillRatio += weight(n) * (ratio - prefillRatio);
        } else {
            long n = ++decodeObservations;
            decodeRatio += weight(n) * (ratio - decodeRatio);
        }
    }

    private double weight(long n) {
        return Math.max(alpha, 1.0 / n);
    }

    /** Current correction factor for steps with prefill tokens (1 before any observation). */
    public double prefillRatio() {
        return prefillRatio;
    }

    /** Current correction factor for decode-only steps (1 before any observation). */
    public double decodeRatio() {
        return decodeRatio;
    }

    /** Steps observed so far, both kinds. */
    public long observations() {
        return prefillObservations + decodeObservations;
    }

    /** Forgets all observations; both ratios return to 1. */
    public void reset() {
        prefillRatio = 1;
        decodeRatio = 1;
        prefillObservations = 0;
        decodeObservations = 0;
    }

    /** The wrapped model. */
    public EngineCostModel delegate() {
        return delegate;
    }

    private double ratio(int prefillTokens) {
        return prefillTokens > 0 ? prefillRatio : decodeRatio;
    }

    @Override
    public double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        return ratio(prefillTokens)
                * delegate.stepSeconds(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
    }

    @Override
    public double utilization(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        double base = delegate.stepSeconds(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
        if (base <= 0) {
            return 0;
        }
        double u = delegate.utilization(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
        double cpu = (1 - u) * base;
        double t = ratio(prefillTokens) * base;
        return Math.max(0, Math.min(1, 1 - cpu / t));
    }

    @Override
    public double cpuOverheadSeconds() {
        return delegate.cpuOverheadSeconds();
    }

    @Override
    public double prefillCost(int chunkTokens, int contextAfter) {
        return prefillRatio * delegate.prefillCost(chunkTokens, contextAfter);
    }

    @Override
    public double decodeCost(int contextTokens) {
        return decodeRatio * delegate.decodeCost(contextTokens);
    }

    /** Idle latency with the prompt as one chunk from an empty context (attended pairs = prompt squared). */
    @Override
    public double idleLatencySeconds(int promptTokens, int outputTokens) {
        return CostModels.idleLatency(this, promptTokens, outputTokens);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s x online(prefill %.3f, decode %.3f, %d steps)", delegate.describe(),
                prefillRatio, decodeRatio, observations());
    }
}

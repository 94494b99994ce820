package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;

/**
 * The simplest step-time model: a prefill step takes {@code a + b x prompt tokens}, a decode step
 * {@code c + d x running requests}; a mixed (stall-free) step pays the prefill's fixed part plus both variable
 * parts. VTC's artifact is reproduced with a = 0.070, b = 0.00016, c = 0.029, d = 0.0006 seconds
 * ({@link CostModels#vtcA10g()}).
 */
public final class LinearCostModel implements EngineCostModel {
    private final double a;
    private final double b;
    private final double c;
    private final double d;

    /**
     * @param prefillFixed  a, seconds per prefill step
     * @param prefillPerTok b, seconds per prompt token
     * @param decodeFixed   c, seconds per decode step
     * @param decodePerSeq  d, seconds per running sequence
     */
    public LinearCostModel(double prefillFixed, double prefillPerTok, double decodeFixed, double decodePerSeq) {
        check("prefillFixed", prefillFixed);
        check("prefillPerToken", prefillPerTok);
        check("decodeFixed", decodeFixed);
        check("decodePerSequence", decodePerSeq);
        this.a = prefillFixed;
        this.b = prefillPerTok;
        this.c = decodeFixed;
        this.d = decodePerSeq;
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number >= 0, got " + v);
        }
    }

    @Override
    public double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        if (prefillTokens <= 0 && decodeSequences <= 0) {
            return 0;
        }
        double fixed = prefillTokens > 0 ? a : c;
        return fixed + b * prefillTokens + d * decodeSequences;
    }

    @Override
    public double utilization(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        return prefillTokens > 0 || decodeSequences > 0 ? 1.0 : 0.0;
    }

    @Override
    public double prefillCost(int chunkTokens, int contextAfter) {
        return b * chunkTokens;
    }

    @Override
    public double decodeCost(int contextTokens) {
        return d;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "linear(prefill=%.4f+%.6f*tok, decode=%.4f+%.6f*seq)", a, b, c, d);
    }
}

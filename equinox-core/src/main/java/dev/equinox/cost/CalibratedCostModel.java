package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;

/**
 * Step time composed from per-operation fits to measured GPU profiles, the way the Vidur simulator composes a step
 * (Agrawal et al., MLSys 2024). With {@code n = prefillTokens + decodeSequences} tokens through the linear layers,
 * {@code B} decode sequences reading {@code K} context tokens in total, {@code P} prefill tokens with
 * {@code A} attended pairs and {@code s} sequences in the step ({@code B}, plus one if a prefill runs):
 *
 * <pre>
 * gpu  = L x [ lin(n) + decAttn(B, K) + preAttn(P, A) + 2 x allReduce(n x hidden x 2 bytes) ] + emb(n)
 * lin(n)          = (m^p + (k n)^p)^(1/p)          memory-bound plateau m, compute slope k, knee p
 * decAttn(B, K)   = a0 + a1 B + a2 K               (0 without decodes)
 * preAttn(P, A)   = b0 + b1 P + b2 A               (0 without prefill)
 * allReduce(x)    = r0 + r1 x                      (0 at TP1)
 * emb(n)          = e0 + e1 n
 * step = gpu + cpu(s),  cpu(s) = c0 + c1 s
 * </pre>
 *
 * The coefficients come from a {@link Calibration}; the fit method and its measured error are in
 * {@code docs/cost-model.md}. Stateless and thread-safe; no allocation per call.
 */
public final class CalibratedCostModel implements EngineCostModel {
    private static final double MS = 1e-3;
    private static final double BYTES_PER_ACTIVATION = 2;

    private final Calibration cal;
    private final double m;
    private final double k;
    private final double p;
    private final double e0;
    private final double e1;
    private final double a0;
    private final double a1;
    private final double a2;
    private final double b0;
    private final double b1;
    private final double b2;
    private final double r0;
    private final double r1PerToken;
    private final double c0;
    private final double c1;

    /** A model with the given calibration's coefficients. */
    public CalibratedCostModel(Calibration calibration) {
        this.cal = java.util.Objects.requireNonNull(calibration, "calibration");
        double s = calibration.attentionScale;
        m = calibration.linear[0];
        k = calibration.linear[1];
        p = calibration.linear[2];
        e0 = calibration.emb[0];
        e1 = calibration.emb[1];
        a0 = s * calibration.decode[0];
        a1 = s * calibration.decode[1];
        a2 = s * calibration.decode[2];
        b0 = s * calibration.prefill[0];
        b1 = s * calibration.prefill[1];
        b2 = s * calibration.prefill[2];
        r0 = calibration.allReduce[0];
        r1PerToken = calibration.allReduce[1] * calibration.hidden * BYTES_PER_ACTIVATION;
        c0 = calibration.cpu[0];
        c1 = calibration.cpu[1];
    }

    /** The coefficients this model uses. */
    public Calibration calibration() {
        return cal;
    }

    @Override
    public double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        int pTok = Math.max(0, prefillTokens);
        int dSeq = Math.max(0, decodeSequences);
        if (pTok == 0 && dSeq == 0) {
            return 0;
        }
        return (gpuMs(pTok, Math.max(0, prefillAttendedPairs), dSeq, Math.max(0, decodeContextTokens))
                + cpuMs(sequences(pTok, dSeq))) * MS;
    }

    /** GPU milliseconds of a non-empty step (all layers, embedding). */
    private double gpuMs(int pTok, long pairs, int dSeq, long dCtx) {
        double n = (double) pTok + dSeq;
        double perLayer = LeastSquares.smoothRoofline(m, k, p, n);
        if (dSeq > 0) {
            perLayer += a0 + a1 * dSeq + a2 * dCtx;
        }
        if (pTok > 0) {
            perLayer += b0 + b1 * pTok + b2 * pairs;
        }
        if (cal.tp > 1) {
            perLayer += 2 * (r0 + r1PerToken * n);
        }
        return cal.layers * perLayer + e0 + e1 * n;
    }

    private static int sequences(int pTok, int dSeq) {
        return dSeq + (pTok > 0 ? 1 : 0);
    }

    private double cpuMs(int sequences) {
        return c0 + c1 * sequences;
    }

    /** CPU overhead of a step with {@code sequences} sequences (decodes plus prefilling requests), in seconds. */
    public double cpuOverheadSeconds(int sequences) {
        return cpuMs(Math.max(1, sequences)) * MS;
    }

    /** CPU overhead of a one-sequence step; {@link #utilization} uses the overhead of the step's own batch size. */
    @Override
    public double cpuOverheadSeconds() {
        return cpuOverheadSeconds(1);
    }

    @Override
    public double utilization(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        double t = stepSeconds(prefillTokens, prefillAttendedPairs, decodeSequences, decodeContextTokens);
        if (t <= 0) {
            return 0;
        }
        double cpu = cpuMs(sequences(Math.max(0, prefillTokens), Math.max(0, decodeSequences))) * MS;
        return Math.max(0, Math.min(1, 1 - cpu / t));
    }

    /**
     * Marginal cost of a chunk in a busy (compute-bound) step: the linear layers' per-token slope, the chunk's own
     * attention and all-reduce share, its embedding and one sequence's CPU time.
     */
    @Override
    public double prefillCost(int chunkTokens, int contextAfter) {
        if (chunkTokens <= 0) {
            return 0;
        }
        double c = chunkTokens;
        double perLayer = (k + b1 + r1PerTokenIfTp()) * c + b2 * c * Math.max(contextAfter, chunkTokens);
        return (cal.layers * perLayer + e1 * c + c1) * MS;
    }

    /** Marginal cost of one decode token: one token's linear slope, its own KV read, all-reduce share and CPU. */
    @Override
    public double decodeCost(int contextTokens) {
        double perLayer = k + a1 + a2 * Math.max(0, contextTokens) + r1PerTokenIfTp();
        return (cal.layers * perLayer + e1 + c1) * MS;
    }

    private double r1PerTokenIfTp() {
        return cal.tp > 1 ? 2 * r1PerToken : 0;
    }

    /** Idle latency with the prompt as one chunk from an empty context (attended pairs = prompt squared). */
    @Override
    public double idleLatencySeconds(int promptTokens, int outputTokens) {
        return CostModels.idleLatency(this, promptTokens, outputTokens);
    }

    @Override
    public String describe() {
        return "calibrated " + cal.label + " (vidur profiles)";
    }
}

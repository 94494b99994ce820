package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;
import java.util.Locale;
import java.util.Objects;

/**
 * A first-principles step time from datasheet peaks (Williams et al.'s roofline). Per GPU of a
 * {@link ModelShape#tensorParallel() TP}-way split, with {@code n = prefillTokens + decodeSequences} tokens through
 * the linear layers, {@code s} sequences in the step (decodes, plus one if a prefill runs), {@code K} decode context
 * tokens and {@code A} prefill attended pairs:
 *
 * <pre>
 * linear    = max(2 W n / (F e_c), W b / (M e_m))                  W = layer weights / TP
 * lm head   = max(2 V h s / TP / (F e_c), V h b / TP / (M e_m))
 * decode    = K x kvBytesPerToken / TP / (M e_m)                  memory-bound KV read
 * prefill   = 4 h L A / TP / (F e_c)                               attention QK^T and PV FLOPs
 * allReduce = 2 L [ lat + 2 (TP-1)/TP x n h b / (N e_n) ]          two ring all-reduces per layer (TP &gt; 1)
 * step      = linear + lm head + decode + prefill + allReduce + cpu
 * </pre>
 *
 * with {@code F}, {@code M}, {@code N} the GPU's peak FLOP/s, HBM and NVLink bandwidth, {@code b} bytes per
 * element and {@code e_*}, {@code lat}, {@code cpu} from an {@link Efficiency}. {@code A} counts the full
 * chunk x context rectangle of the SPI, so the causal-masked half of a chunk's own tokens is counted as work: an
 * upper bound on FlashAttention's FLOPs. With {@link Efficiency#DATASHEET} this is the plain roofline, which
 * underestimates measured steps (see {@code docs/cost-model.md}); {@link CalibratedCostModel} is the measured one.
 */
public final class RooflineCostModel implements EngineCostModel {

    /**
     * How close kernels get to the datasheet, and the fixed costs a roofline does not see.
     *
     * @param compute                 fraction of peak FLOP/s reached by matrix multiplications, in (0, 1]
     * @param memory                  fraction of HBM bandwidth reached by memory-bound kernels, in (0, 1]
     * @param link                    fraction of NVLink bandwidth reached by all-reduce, in (0, 1]
     * @param allReduceLatencySeconds fixed time per all-reduce, seconds
     * @param cpuOverheadSeconds      CPU time per step (scheduling, sampling, input preparation), seconds
     */
    public record Efficiency(double compute, double memory, double link, double allReduceLatencySeconds,
            double cpuOverheadSeconds) {
        /** Peaks as printed, no fixed costs: the plain datasheet roofline. */
        public static final Efficiency DATASHEET = new Efficiency(1, 1, 1, 0, 0);

        /** Validates the fractions and the fixed costs. */
        public Efficiency {
            fraction("compute", compute);
            fraction("memory", memory);
            fraction("link", link);
            if (!(allReduceLatencySeconds >= 0) || !(cpuOverheadSeconds >= 0)
                    || Double.isInfinite(allReduceLatencySeconds) || Double.isInfinite(cpuOverheadSeconds)) {
                throw new IllegalArgumentException("latencies must be finite and >= 0");
            }
        }

        private static void fraction(String name, double v) {
            if (!(v > 0 && v <= 1)) {
                throw new IllegalArgumentException(name + " efficiency must be in (0, 1], got " + v);
            }
        }
    }

    private final Gpu gpu;
    private final ModelShape shape;
    private final Efficiency eff;
    private final double secPerFlop;
    private final double secPerByte;
    private final double linearFlopsPerToken;
    private final double layerWeightBytes;
    private final double headFlopsPerRow;
    private final double headBytes;
    private final double kvBytesPerToken;
    private final double attnFlopsPerPair;
    private final double allReducePerToken;
    private final double allReduceFixed;

    /** A roofline of {@code shape} (with its TP degree) on {@code gpu} GPUs at the given efficiencies. */
    public RooflineCostModel(Gpu gpu, ModelShape shape, Efficiency efficiency) {
        this.gpu = Objects.requireNonNull(gpu, "gpu");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.eff = Objects.requireNonNull(efficiency, "efficiency");
        double tp = shape.tensorParallel();
        double b = shape.bytesPerParam();
        secPerFlop = 1 / (gpu.peakFlops() * efficiency.compute());
        secPerByte = 1 / (gpu.memoryBandwidth() * efficiency.memory());
        double layerParams = (double) shape.layers() * shape.paramsPerLayer() / tp;
        linearFlopsPerToken = 2 * layerParams;
        layerWeightBytes = layerParams * b;
        double head = (double) shape.vocab() * shape.hidden() / tp;
        headFlopsPerRow = 2 * head;
        headBytes = head * b;
        kvBytesPerToken = shape.kvBytesPerToken() / tp;
        attnFlopsPerPair = 4.0 * shape.hidden() * shape.layers() / tp;
        if (tp > 1) {
            double ring = 2 * (tp - 1) / tp;
            allReducePerToken = 2 * shape.layers() * ring * shape.hidden() * b
                    / (gpu.linkBandwidth() * efficiency.link());
            allReduceFixed = 2 * shape.layers() * efficiency.allReduceLatencySeconds();
        } else {
            allReducePerToken = 0;
            allReduceFixed = 0;
        }
    }

    /** The GPU this roofline uses. */
    public Gpu gpu() {
        return gpu;
    }

    /** The model shape, with its TP degree. */
    public ModelShape shape() {
        return shape;
    }

    /** The efficiencies applied to the datasheet peaks. */
    public Efficiency efficiency() {
        return eff;
    }

    @Override
    public double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        int pTok = Math.max(0, prefillTokens);
        int dSeq = Math.max(0, decodeSequences);
        if (pTok == 0 && dSeq == 0) {
            return 0;
        }
        return gpuSeconds(pTok, Math.max(0, prefillAttendedPairs), dSeq, Math.max(0, decodeContextTokens))
                + eff.cpuOverheadSeconds();
    }

    private double gpuSeconds(int pTok, long pairs, int dSeq, long dCtx) {
        double n = (double) pTok + dSeq;
        double rows = dSeq + (pTok > 0 ? 1 : 0);
        double t = Math.max(linearFlopsPerToken * n * secPerFlop, layerWeightBytes * secPerByte);
        t += Math.max(headFlopsPerRow * rows * secPerFlop, headBytes * secPerByte);
        t += dCtx * kvBytesPerToken * secPerByte;
        t += pairs * attnFlopsPerPair * secPerFlop;
        t += allReduceFixed + allReducePerToken * n;
        return t;
    }

    @Override
    public double cpuOverheadSeconds() {
        return eff.cpuOverheadSeconds();
    }

    /** Compute-bound cost of a chunk: its linear and attention FLOPs and its all-reduce traffic. */
    @Override
    public double prefillCost(int chunkTokens, int contextAfter) {
        if (chunkTokens <= 0) {
            return 0;
        }
        double c = chunkTokens;
        double pairs = c * Math.max(contextAfter, chunkTokens);
        return (linearFlopsPerToken * c + attnFlopsPerPair * pairs) * secPerFlop + allReducePerToken * c;
    }

    /** Cost of one decode token: its linear FLOPs, LM head row, KV read and all-reduce traffic. */
    @Override
    public double decodeCost(int contextTokens) {
        return (linearFlopsPerToken + headFlopsPerRow) * secPerFlop
                + Math.max(0, contextTokens) * kvBytesPerToken * secPerByte + allReducePerToken;
    }

    /** Idle latency with the prompt as one chunk from an empty context (attended pairs = prompt squared). */
    @Override
    public double idleLatencySeconds(int promptTokens, int outputTokens) {
        return CostModels.idleLatency(this, promptTokens, outputTokens);
    }

    @Override
    public String describe() {
        String base = "roofline " + gpu.label() + " " + shape.label();
        if (eff.equals(Efficiency.DATASHEET)) {
            return base + " (datasheet)";
        }
        return base + String.format(Locale.ROOT, " (compute %.2f, memory %.2f, link %.2f, cpu %.2f ms)",
                eff.compute(), eff.memory(), eff.link(), eff.cpuOverheadSeconds() * 1e3);
    }
}

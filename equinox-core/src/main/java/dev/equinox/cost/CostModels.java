package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;
import java.nio.file.Path;

/**
 * Factory of the bundled {@link EngineCostModel}s. The simulator's default is {@link #calibrated()}; see
 * {@code docs/cost-model.md} for each model's formula and measured error.
 */
public final class CostModels {
    private CostModels() {
    }

    /** A linear model; see {@link LinearCostModel}. */
    public static EngineCostModel linear(double prefillFixed, double prefillPerToken, double decodeFixed, double decodePerSequence) {
        return new LinearCostModel(prefillFixed, prefillPerToken, decodeFixed, decodePerSequence);
    }

    /**
     * The step times that reproduce VTC's artifact runs (Llama-2-7B on an A10G, S-LoRA engine): prefill
     * 0.070 s + 0.00016 s per prompt token, decode 0.029 s + 0.0006 s per running request.
     */
    public static EngineCostModel vtcA10g() {
        return new LinearCostModel(0.070, 0.00016, 0.029, 0.0006);
    }

    /** The plain datasheet roofline of {@code shape} (with its TP degree) on {@code gpu}: peaks, no fixed costs. */
    public static RooflineCostModel roofline(Gpu gpu, ModelShape shape) {
        return new RooflineCostModel(gpu, shape, RooflineCostModel.Efficiency.DATASHEET);
    }

    /** A roofline with efficiency factors and fixed costs; see {@link RooflineCostModel}. */
    public static RooflineCostModel roofline(Gpu gpu, ModelShape shape, RooflineCostModel.Efficiency efficiency) {
        return new RooflineCostModel(gpu, shape, efficiency);
    }

    /** The calibrated default: Llama-2-7B on one A100-80GB, fitted to Vidur's profiles. */
    public static CalibratedCostModel calibrated() {
        return llama2_7b_a100();
    }

    /** A calibrated model for one of the profiled setups. */
    public static CalibratedCostModel calibrated(Calibration calibration) {
        return new CalibratedCostModel(calibration);
    }

    /** Calibrated Llama-2-7B on one A100-80GB ({@link Calibration#LLAMA2_7B_A100_TP1}). */
    public static CalibratedCostModel llama2_7b_a100() {
        return new CalibratedCostModel(Calibration.LLAMA2_7B_A100_TP1);
    }

    /** Calibrated Llama-2-7B on one H100 SXM ({@link Calibration#LLAMA2_7B_H100_TP1}; attention scaled from A100). */
    public static CalibratedCostModel llama2_7b_h100() {
        return new CalibratedCostModel(Calibration.LLAMA2_7B_H100_TP1);
    }

    /** Calibrated Llama-2-70B on {@code tp} A100-80GB GPUs, {@code tp} in {2, 4, 8}. */
    public static CalibratedCostModel llama2_70b_a100(int tp) {
        return new CalibratedCostModel(switch (tp) {
            case 2 -> Calibration.LLAMA2_70B_A100_TP2;
            case 4 -> Calibration.LLAMA2_70B_A100_TP4;
            case 8 -> Calibration.LLAMA2_70B_A100_TP8;
            default -> throw new IllegalArgumentException("Llama-2-70B on A100 is calibrated for TP 2, 4, 8; got " + tp);
        });
    }

    /** Calibrated Llama-2-70B on {@code tp} H100 SXM GPUs, {@code tp} in {2, 4, 8} (attention scaled from A100). */
    public static CalibratedCostModel llama2_70b_h100(int tp) {
        return new CalibratedCostModel(switch (tp) {
            case 2 -> Calibration.LLAMA2_70B_H100_TP2;
            case 4 -> Calibration.LLAMA2_70B_H100_TP4;
            case 8 -> Calibration.LLAMA2_70B_H100_TP8;
            default -> throw new IllegalArgumentException("Llama-2-70B on H100 is calibrated for TP 2, 4, 8; got " + tp);
        });
    }

    /** A model fitted to a measured step profile; see {@link ProfileCostModel#load(Path, double)}. */
    public static ProfileCostModel profile(Path csv, double cpuOverheadSeconds) {
        return ProfileCostModel.load(csv, cpuOverheadSeconds);
    }

    /** {@code delegate} corrected online from measured step times; see {@link OnlineCorrectedCostModel}. */
    public static OnlineCorrectedCostModel onlineCorrected(EngineCostModel delegate) {
        return new OnlineCorrectedCostModel(delegate, OnlineCorrectedCostModel.DEFAULT_ALPHA);
    }

    /**
     * Idle latency with the prompt prefilled as one chunk from an empty context, so its attended pairs are
     * {@code prompt x prompt} as the SPI defines them, then {@code output - 1} batch-1 decode steps at the mean
     * context.
     */
    static double idleLatency(EngineCostModel m, int promptTokens, int outputTokens) {
        int prompt = Math.max(0, promptTokens);
        double t = m.stepSeconds(prompt, (long) prompt * prompt, 0, 0);
        int steps = Math.max(0, outputTokens - 1);
        if (steps > 0) {
            long meanContext = prompt + (long) outputTokens / 2;
            t += steps * m.stepSeconds(0, 0, 1, meanContext);
        }
        return t;
    }
}

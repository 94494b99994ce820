package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;

/** Factory of the bundled {@link EngineCostModel}s. */
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
}

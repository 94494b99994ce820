package dev.equinox.bench.sim;

import dev.equinox.cost.CostModels;
import dev.equinox.cost.Gpu;
import dev.equinox.cost.ModelShape;
import dev.equinox.spi.EngineCostModel;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Engine cost models by name (the simulator's clock):
 * <ul>
 * <li>{@code calibrated} (default) = {@code llama2-7b-a100}: Llama-2-7B on one A100-80GB fitted to Vidur's
 * profiles ({@link CostModels#calibrated()});</li>
 * <li>{@code llama2-7b-h100}; {@code llama2-70b-a100-tpN}, {@code llama2-70b-h100-tpN} for N in 2, 4, 8;</li>
 * <li>{@code roofline-a100-llama2-7b}, {@code roofline-h100-llama2-7b}: datasheet rooflines (no fixed costs);</li>
 * <li>{@code vtc-a10g}: VTC artifact's A10G step times ({@link CostModels#vtcA10g()});</li>
 * <li>{@code profile:PATH}: a measured step profile CSV ({@link CostModels#profile}).</li>
 * </ul>
 */
public final class CostModelRegistry {
    /** Names for help texts. */
    public static final List<String> NAMES = List.of("calibrated", "llama2-7b-a100", "llama2-7b-h100", "roofline-a100-llama2-7b", "roofline-h100-llama2-7b", "llama2-70b-a100-tp2", "llama2-70b-a100-tp4",
            "llama2-70b-a100-tp8", "llama2-70b-h100-tp2", "llama2-70b-h100-tp4", "llama2-70b-h100-tp8", "vtc-a10g", "profile:PATH");

    private CostModelRegistry() {
    }

    /**
     * @throws IllegalArgumentException for an unknown name, or a step profile that is missing, unreadable or malformed
     */
    public static EngineCostModel create(String name) {
        if (name.startsWith("profile:")) {
            try {
                return CostModels.profile(Path.of(name.substring("profile:".length())), 0);
            } catch (UncheckedIOException e) {
                // a missing or unreadable file is the user's to fix, like a malformed one (IllegalArgumentException)
                throw new IllegalArgumentException("cost model '" + name + "': " + e.getMessage(), e);
            }
        }
        switch (name) {
            case "calibrated":
            case "llama2-7b-a100":
                return CostModels.calibrated();
            case "llama2-7b-h100":
                return CostModels.llama2_7b_h100();
            case "roofline-a100-llama2-7b":
                return CostModels.roofline(Gpu.A100_80GB, ModelShape.LLAMA2_7B);
            case "roofline-h100-llama2-7b":
                return CostModels.roofline(Gpu.H100_SXM, ModelShape.LLAMA2_7B);
            case "vtc-a10g":
                return CostModels.vtcA10g();
            default:
                break;
        }
        if (name.startsWith("llama2-70b-a100-tp")) {
            return CostModels.llama2_70b_a100(tp(name));
        }
        if (name.startsWith("llama2-70b-h100-tp")) {
            return CostModels.llama2_70b_h100(tp(name));
        }
        throw new IllegalArgumentException("unknown cost model '" + name + "'; known: " + NAMES);
    }

    private static int tp(String name) {
        try {
            return Integer.parseInt(name.substring(name.lastIndexOf("tp") + 2));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown cost model '" + name + "'; known: " + NAMES);
        }
    }
}

package dev.equinox.bench.report;

import dev.equinox.bench.workload.Workload;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.spi.EngineCostModel;

/**
 * How the fairness columns (service difference, Jain) price a run's service.
 *
 * <ul>
 * <li>{@link #TOKENS}: VTC's cost, w_p = 1 per prompt token and w_q = 2 per output token, the unit of every
 * published VTC number and the default. It is the user side of fairness, and what VTC itself balances.</li>
 * <li>{@link #GPU}: tokens priced by the GPU time they cost on the run's engine: a prompt token 1, an output token
 * k = the cost model's decode cost over its per-token prefill cost at the workload's mean request (a prefill of
 * the mean prompt; a decode at the mean prompt plus half the mean output). It is the resource side, which
 * Equinox's Resource Fairness Counter also balances; on VTC's A10G model k = 3.75.</li>
 * </ul>
 */
public enum ServiceMeasure {
    TOKENS, GPU;

    /** The price of an output token in prompt tokens, for a run of {@code w} on {@code model}. */
    public double outputTokenPrice(Workload w, EngineCostModel model) {
        if (this == TOKENS || w.size() == 0) {
            return FairnessOptions.vtcArtifact().outputWeight();
        }
        double in = 0;
        double out = 0;
        for (int i = 0; i < w.size(); i++) {
            in += w.input(i);
            out += w.output(i);
        }
        int prompt = (int) Math.max(1, Math.round(in / w.size()));
        int context = (int) Math.max(1, Math.round((in + out / 2) / w.size()));
        double perPromptToken = model.prefillCost(prompt, prompt) / prompt;
        double decode = model.decodeCost(context);
        if (!(perPromptToken > 0) || !(decode > 0)) {
            throw new IllegalArgumentException("cost model " + model.describe() + " gives no positive prefill and decode cost to price service by");
        }
        return decode / perPromptToken;
    }
}

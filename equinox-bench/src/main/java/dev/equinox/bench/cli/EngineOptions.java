package dev.equinox.bench.cli;

import dev.equinox.BatchingMode;
import dev.equinox.bench.sim.SimConfig;
import picocli.CommandLine.Option;

/** Engine and scheduler options shared by every command (a picocli mixin). Unset options keep the preset's value. */
public final class EngineOptions {
    @Option(names = "--vtc-reference", description = "Preset: VTC artifact's engine (VTC_REFERENCE batching, vtc-a10g cost model, "
            + "KV 10,000 tokens, max running 1000). Other options override it.")
    boolean vtcReference;

    @Option(names = "--predictor", paramLabel = "NAME", description = "Output-length predictor: oracle, oracle50, moving-average, "
            + "max-tokens, mope, oracle:R, or any of them + '+calibrated' (online per-tenant correction; "
            + "default: moving-average; max-tokens with --vtc-reference).")
    String predictor;

    @Option(names = "--cost-model", paramLabel = "NAME", description = "Engine cost model: calibrated (default; Llama-2-7B A100), "
            + "llama2-70b-a100-tpN, llama2-70b-h100-tpN, vtc-a10g, profile:PATH.")
    String costModel;

    @Option(names = "--mode", paramLabel = "MODE", description = "Batching: STALL_FREE (default) or VTC_REFERENCE.")
    BatchingMode mode;

    @Option(names = "--alpha", description = "Equinox alpha (default 0.7).")
    Double alpha;

    @Option(names = "--beta", description = "Equinox beta (default 1 - alpha).")
    Double beta;

    @Option(names = "--delta", description = "Equinox delta (default 0.1).")
    Double delta;

    @Option(names = "--gamma", description = "Equinox latency exponent: the UFC charge x (idle latency / latency)^gamma (default 0: off).")
    Double gamma;

    @Option(names = "--kv-blocks", description = "KV cache blocks (default 8192; 625 with --vtc-reference).")
    Integer kvBlocks;

    @Option(names = "--block-size", description = "Tokens per KV block (default 16).")
    Integer blockSize;

    @Option(names = "--token-budget", description = "Per-step token budget (default 2048). Not with VTC_REFERENCE batching "
            + "(--vtc-reference), which applies max(KV tokens / 6, 3072).")
    Integer tokenBudget;

    @Option(names = "--max-running", description = "Running-sequence cap (default 256; 1000 with --vtc-reference).")
    Integer maxRunning;

    @Option(names = "--seed", description = "Seed for generated workloads, tenant assignment and predictor noise (default 42).")
    Long seed;

    /** The configuration for one policy. */
    SimConfig config(String policy) {
        SimConfig c = vtcReference ? SimConfig.vtcReference() : SimConfig.defaults();
        c = c.withPolicy(policy);
        if (predictor != null) {
            c = c.withPredictor(predictor);
        }
        if (costModel != null) {
            c = c.withCostModel(costModel);
        }
        if (mode != null) {
            c = c.withMode(mode);
        }
        double a = alpha != null ? alpha : beta != null ? 1 - beta : c.alpha();
        double b = beta != null ? beta : alpha != null ? 1 - alpha : c.beta();
        c = c.withHolistic(a, b, delta != null ? delta : c.delta());
        if (gamma != null) {
            c = c.withLatencyExponent(gamma);
        }
        if (kvBlocks != null || blockSize != null) {
            c = c.withKv(kvBlocks != null ? kvBlocks : c.kvBlocks(), blockSize != null ? blockSize : c.blockSize());
        }
        if (tokenBudget != null || maxRunning != null) {
            c = c.withBudgets(tokenBudget != null ? tokenBudget : c.tokenBudget(), maxRunning != null ? maxRunning : c.maxRunning());
        }
        if (seed != null) {
            c = c.withSeed(seed);
        }
        if (tokenBudget != null && c.mode() == BatchingMode.VTC_REFERENCE) {
            throw new IllegalArgumentException(budgetIgnored("--token-budget", c));
        }
        return c;
    }

    /** The message for a token budget given with VTC_REFERENCE batching, which ignores it. */
    static String budgetIgnored(String option, SimConfig c) {
        return option + " has no effect with VTC_REFERENCE batching (--vtc-reference or --mode VTC_REFERENCE): the scheduler applies "
                + "the artifact's budget max(KV tokens / 6, 3072) = " + c.effectiveTokenBudget() + "; leave " + option + " out or use --mode STALL_FREE";
    }

    long seed() {
        return seed != null ? seed : 42;
    }
}

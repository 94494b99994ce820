package dev.equinox.bench.sim;

import dev.equinox.BatchingMode;
import java.util.Locale;
import java.util.Objects;

/**
 * One simulated engine and scheduler setup: the only configuration the simulator has. Defaults
 * ({@link #defaults()}) model Llama-2-7B on one A100-80GB with the calibrated cost model: KV cache of 8,192
 * blocks x 16 tokens (131,072 tokens, what ~64 GB of free HBM holds at 0.5 MB per token), token budget 2,048,
 * up to 256 running sequences, stall-free batching, moving-average predictor, seed 42.
 *
 * @param policy       scheduling policy name ({@link PolicyRegistry})
 * @param alpha        holistic policy alpha (Equinox only)
 * @param beta         holistic policy beta
 * @param delta        holistic policy delta
 * @param gamma        holistic policy latency exponent (0: no latency discount of the UFC)
 * @param predictor    predictor name: oracle, oracle50, moving-average, max-tokens, mope, ...
 * @param costModel    cost model name ({@link CostModelRegistry})
 * @param mode         batching mode
 * @param kvBlocks     KV cache blocks
 * @param blockSize    tokens per block
 * @param tokenBudget  per-step token budget
 * @param maxRunning   running-sequence cap
 * @param seed         seed (predictor noise; workloads take theirs from the spec)
 */
public record SimConfig(String policy, double alpha, double beta, double delta, double gamma, String predictor, String costModel,
        BatchingMode mode, int kvBlocks, int blockSize, int tokenBudget, int maxRunning, long seed) {

    public SimConfig {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(predictor, "predictor");
        Objects.requireNonNull(costModel, "costModel");
        Objects.requireNonNull(mode, "mode");
        if (kvBlocks <= 0 || blockSize <= 0 || tokenBudget <= 0 || maxRunning <= 0) {
            throw new IllegalArgumentException("kvBlocks, blockSize, tokenBudget and maxRunning must be > 0");
        }
    }

    /** The defaults described above, policy FCFS. */
    public static SimConfig defaults() {
        return new SimConfig("fcfs", 0.7, 0.3, 0.1, 0, "moving-average", "calibrated", BatchingMode.STALL_FREE, 8192, 16, 2048, 256, 42);
    }

    /**
     * VTC's artifact setup: VTC_REFERENCE batching, the A10G linear cost model, a KV cache of 10,000 tokens
     * (625 blocks of 16), VTC's prefill budget max(capacity / 6, 3072) applied by the scheduler itself, up to 1,000
     * running requests.
     */
    public static SimConfig vtcReference() {
        return new SimConfig("vtc", 0.7, 0.3, 0.1, 0, "max-tokens", "vtc-a10g", BatchingMode.VTC_REFERENCE, 625, 16, 3072, 1000, 42);
    }

    public SimConfig withPolicy(String p) {
        return new SimConfig(p, alpha, beta, delta, gamma, predictor, costModel, mode, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    public SimConfig withPredictor(String p) {
        return new SimConfig(policy, alpha, beta, delta, gamma, p, costModel, mode, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    public SimConfig withHolistic(double a, double b, double d) {
        return new SimConfig(policy, a, b, d, gamma, predictor, costModel, mode, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    /** The holistic policy's latency exponent gamma (0: off). */
    public SimConfig withLatencyExponent(double g) {
        return new SimConfig(policy, alpha, beta, delta, g, predictor, costModel, mode, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    public SimConfig withCostModel(String c) {
        return new SimConfig(policy, alpha, beta, delta, gamma, predictor, c, mode, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    public SimConfig withMode(BatchingMode m) {
        return new SimConfig(policy, alpha, beta, delta, gamma, predictor, costModel, m, kvBlocks, blockSize, tokenBudget, maxRunning, seed);
    }

    public SimConfig withKv(int blocks, int tokensPerBlock) {
        return new SimConfig(policy, alpha, beta, delta, gamma, predictor, costModel, mode, blocks, tokensPerBlock, tokenBudget, maxRunning, seed);
    }

    public SimConfig withBudgets(int budget, int running) {
        return new SimConfig(policy, alpha, beta, delta, gamma, predictor, costModel, mode, kvBlocks, blockSize, budget, running, seed);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(policy, alpha, beta, delta, gamma, predictor, costModel, mode, kvBlocks, blockSize, tokenBudget, maxRunning, s);
    }

    /**
     * The per-step token budget the scheduler actually applies: {@link #tokenBudget()}, except in
     * {@link BatchingMode#VTC_REFERENCE} batching, where the scheduler ignores it and uses the artifact's prefill budget
     * max(KV capacity / 6, 3072) (3,072 for the {@link #vtcReference()} preset's 10,000 tokens).
     */
    public int effectiveTokenBudget() {
        return mode.tokenBudget(tokenBudget, kvTokens());
    }

    /** KV capacity in tokens. */
    public long kvTokens() {
        return (long) kvBlocks * blockSize;
    }

    /** A short label: policy (with alpha;beta;delta[;gamma] for equinox, no commas: labels go into CSV files) + predictor. */
    public String label() {
        String p = policy;
        if (policy.equals("equinox") && (alpha != 0.7 || beta != 0.3 || delta != 0.1 || gamma != 0)) {
            p = gamma == 0 ? String.format(Locale.ROOT, "equinox(%.2g;%.2g;%.2g)", alpha, beta, delta)
                    : String.format(Locale.ROOT, "equinox(%.2g;%.2g;%.2g;g=%.2g)", alpha, beta, delta, gamma);
        }
        return p + "+" + predictor;
    }
}

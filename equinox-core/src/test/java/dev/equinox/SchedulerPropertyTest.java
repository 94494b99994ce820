package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Predictor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests over random workloads and random configurations, one per seed: policy, token budget, running
 * cap, chunk size, KV blocks and block size, KV margin, predictor (exact, noisy, moving average, always 1, max
 * tokens), adaptive batching, and random cancels and step failures. {@link TestEngine} checks after every step
 * that the token budget is never exceeded, KV is never over-committed (and its accounting matches the requests),
 * decodes come first and are never stalled by prefill, chunks respect the chunk size; at the end, that no
 * request is lost or duplicated and the statistics add up.
 */
class SchedulerPropertyTest {
    private static final EngineCostModel MODEL = CostModels.vtcA10g();

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomWorkload_randomConfiguration_invariantsHoldAndNothingLost(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
        String policy = List.of("fcfs", "priority", "vtc", "vtc-predict", "equinox").get(rnd.nextInt(5));
        int budget = 32 + rnd.nextInt(1000);
        int maxRunning = 1 + rnd.nextInt(Math.min(budget, 128));
        int chunk = 1 + rnd.nextInt(budget);
        int blockSize = List.of(1, 4, 16).get(rnd.nextInt(3));
        int kvTokens = 256 + rnd.nextInt(4000);
        int blocks = Math.max(1, kvTokens / blockSize);
        int capacity = blocks * blockSize;
        int maxPrompt = Math.max(1, Math.min(600, capacity / 2));
        int maxOutput = Math.max(1, Math.min(300, capacity - maxPrompt));
        Predictor predictor = switch (rnd.nextInt(5)) {
            case 0 -> Predictors.oracle();
            case 1 -> Predictors.oracle(0.5, seed);
            case 2 -> Predictors.movingAverage();
            case 3 -> TestPredictors.constant(1); // under-reserves: decodes outgrow their KV and preempt
            default -> Predictors.maxTokens();
        };
        VirtualTicker ticker = new VirtualTicker();
        Equinox b = Equinox.builder().policy(Policies.byName(policy)).ticker(ticker).costModel(MODEL).tokenBudget(budget)
                .maxRunning(maxRunning).chunkSize(chunk).kvCache(blocks, blockSize).kvMargin(rnd.nextDouble() * 0.5)
                .predictor(predictor).adaptiveBatching(rnd.nextBoolean(), 0.02 + rnd.nextDouble() * 0.2);
        Scheduler s = b.build();
        double cancelP = rnd.nextBoolean() ? 0 : 0.05;
        // a failed step recomputes its requests from scratch: keep failures rare against the longest chunked prefill,
        // or a long prompt never gets through (a livelock of the test's making, not the scheduler's)
        double failP = rnd.nextBoolean() ? 0 : Math.min(0.03, 0.3 * chunk / (maxPrompt + maxOutput));
        TestEngine e = new TestEngine(s, ticker, MODEL, budget).chaos(seed, cancelP, failP);
        List<TestEngine.Arrival> w = TestEngine.randomWorkload(seed, 100 + rnd.nextInt(150), 1 + rnd.nextInt(6),
                5 + rnd.nextInt(60), maxPrompt, maxOutput);
        String config = policy + " budget=" + budget + " running=" + maxRunning + " chunk=" + chunk + " kv=" + blocks + "x"
                + blockSize + " predictor=" + predictor.name() + " cancel=" + cancelP + " fail=" + failP;
        try {
            e.run(w, 300_000);
            assertTrue(e.steps < 300_000, "did not finish");
            e.assertAllTerminal();
        } catch (AssertionError err) {
            throw new AssertionError(config + ": " + err.getMessage(), err);
        }
    }

    /** The reference mode has fewer knobs: fewer seeds cover them. */
    static LongStream referenceSeeds() {
        return LongStream.rangeClosed(1, 15);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("referenceSeeds")
    void randomWorkload_vtcReferenceMode_noLostRequest(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        VirtualTicker ticker = new VirtualTicker();
        String policy = rnd.nextBoolean() ? "vtc" : "fcfs";
        int blocks = 300 + rnd.nextInt(700);
        Scheduler s = Equinox.builder().policy(Policies.byName(policy)).ticker(ticker).costModel(MODEL).tokenBudget(4096)
                .kvCache(blocks, 16).batchingMode(BatchingMode.VTC_REFERENCE).build();
        TestEngine e = new TestEngine(s, ticker, MODEL, 4096).chaos(seed, rnd.nextBoolean() ? 0 : 0.05, 0.02);
        e.run(TestEngine.randomWorkload(seed, 200, 1 + rnd.nextInt(4), 5 + rnd.nextInt(20), 800, 400), 300_000);
        e.assertAllTerminal();
    }
}

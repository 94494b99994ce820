package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The strict builder: every setting once, bad values and conflicts named with their values, every setting used. */
class EquinoxBuilderTest {

    private static Predictor fixed(String name, int tokens, boolean blocking) {
        return new Predictor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return Prediction.ofTokens(tokens);
            }

            @Override
            public boolean isBlocking() {
                return blocking;
            }
        };
    }

    /** Every setter with a valid value. */
    static Stream<Arguments> setters() {
        return Stream.of(
                Arguments.of("tokenBudget", (Consumer<Equinox>) b -> b.tokenBudget(100)),
                Arguments.of("maxRunning", (Consumer<Equinox>) b -> b.maxRunning(10)),
                Arguments.of("kvCache", (Consumer<Equinox>) b -> b.kvCache(100, 16)),
                Arguments.of("chunkSize", (Consumer<Equinox>) b -> b.chunkSize(64)),
                Arguments.of("maxContext", (Consumer<Equinox>) b -> b.maxContext(512)),
                Arguments.of("kvMargin", (Consumer<Equinox>) b -> b.kvMargin(0.2)),
                Arguments.of("queueLimits", (Consumer<Equinox>) b -> b.queueLimits(10, 5)),
                Arguments.of("tokenWeights", (Consumer<Equinox>) b -> b.tokenWeights(1, 2)),
                Arguments.of("requireRegisteredTenants", (Consumer<Equinox>) b -> b.requireRegisteredTenants(true)),
                Arguments.of("maxTenants", (Consumer<Equinox>) b -> b.maxTenants(1000)),
                Arguments.of("policy", (Consumer<Equinox>) b -> b.policy(Policies.fcfs())),
                Arguments.of("predictor", (Consumer<Equinox>) b -> b.predictor(Predictors.oracle())),
                Arguments.of("fallbackPredictor", (Consumer<Equinox>) b -> b.fallbackPredictor(Predictors.maxTokens())),
                Arguments.of("predictionExecutor", (Consumer<Equinox>) b -> b.predictionExecutor(Runnable::run)),
                Arguments.of("costModel", (Consumer<Equinox>) b -> b.costModel(CostModels.vtcA10g())),
                Arguments.of("ticker", (Consumer<Equinox>) b -> b.ticker(new VirtualTicker())),
                Arguments.of("batchingMode", (Consumer<Equinox>) b -> b.batchingMode(BatchingMode.STALL_FREE)),
                Arguments.of("adaptiveBatching", (Consumer<Equinox>) b -> b.adaptiveBatching(true, 0.1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setters")
    void setter_calledTwice_throwsIllegalStateNamingIt(String name, Consumer<Equinox> set) {
        Equinox b = Equinox.builder();
        set.accept(b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> set.accept(b));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    /** Every setter with a bad value: the message names the setting and the value. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("tokenBudget", "0", (Consumer<Equinox>) b -> b.tokenBudget(0)),
                Arguments.of("tokenBudget", "-5", (Consumer<Equinox>) b -> b.tokenBudget(-5)),
                Arguments.of("maxRunning", "0", (Consumer<Equinox>) b -> b.maxRunning(0)),
                Arguments.of("kvCache.blocks", "0", (Consumer<Equinox>) b -> b.kvCache(0, 16)),
                Arguments.of("kvCache.tokensPerBlock", "-1", (Consumer<Equinox>) b -> b.kvCache(16, -1)),
                Arguments.of("chunkSize", "0", (Consumer<Equinox>) b -> b.chunkSize(0)),
                Arguments.of("maxContext", "-3", (Consumer<Equinox>) b -> b.maxContext(-3)),
                Arguments.of("kvMargin", "-0.1", (Consumer<Equinox>) b -> b.kvMargin(-0.1)),
                Arguments.of("kvMargin", "NaN", (Consumer<Equinox>) b -> b.kvMargin(Double.NaN)),
                Arguments.of("kvMargin", "101", (Consumer<Equinox>) b -> b.kvMargin(101)),
                Arguments.of("queueLimits.total", "0", (Consumer<Equinox>) b -> b.queueLimits(0, 1)),
                Arguments.of("queueLimits.perTenant", "-2", (Consumer<Equinox>) b -> b.queueLimits(5, -2)),
                Arguments.of("maxTenants", "0", (Consumer<Equinox>) b -> b.maxTenants(0)),
                Arguments.of("tokenWeights.prompt", "0", (Consumer<Equinox>) b -> b.tokenWeights(0, 1)),
                Arguments.of("tokenWeights.output", "NaN", (Consumer<Equinox>) b -> b.tokenWeights(1, Double.NaN)),
                Arguments.of("tokenWeights.output", "Infinity", (Consumer<Equinox>) b -> b.tokenWeights(1, Double.POSITIVE_INFINITY)),
                Arguments.of("adaptiveBatching.targetTimePerOutputTokenSeconds", "0",
                        (Consumer<Equinox>) b -> b.adaptiveBatching(true, 0)),
                Arguments.of("adaptiveBatching.targetTimePerOutputTokenSeconds", "NaN",
                        (Consumer<Equinox>) b -> b.adaptiveBatching(false, Double.NaN)));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badValues")
    void setter_badValue_throwsIllegalArgumentNamingSettingAndValue(String name, String value, Consumer<Equinox> set) {
        Equinox b = Equinox.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.accept(b));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void setter_badValueRejected_settingStaysUnsetAndCanBeSetAgain() {
        Equinox b = Equinox.builder();
        assertThrows(IllegalArgumentException.class, () -> b.kvCache(10, 0));
        assertThrows(IllegalArgumentException.class, () -> b.queueLimits(10, 0));
        assertThrows(IllegalArgumentException.class, () -> b.tokenWeights(1, -1));
        assertThrows(IllegalArgumentException.class, () -> b.adaptiveBatching(true, -1));
        b.kvCache(10, 8).queueLimits(4, 2).tokenWeights(1, 3).adaptiveBatching(false, 1);
        SchedulerStats st = b.build().stats();
        assertEquals(10, st.kvBlocksTotal(), "the retried kvCache is the one in use, not half of the failed one");
    }

    static Stream<Arguments> nullReferences() {
        return Stream.of(
                Arguments.of("policy", (Consumer<Equinox>) b -> b.policy(null)),
                Arguments.of("predictor", (Consumer<Equinox>) b -> b.predictor(null)),
                Arguments.of("fallbackPredictor", (Consumer<Equinox>) b -> b.fallbackPredictor(null)),
                Arguments.of("predictionExecutor", (Consumer<Equinox>) b -> b.predictionExecutor(null)),
                Arguments.of("costModel", (Consumer<Equinox>) b -> b.costModel(null)),
                Arguments.of("ticker", (Consumer<Equinox>) b -> b.ticker(null)),
                Arguments.of("batchingMode", (Consumer<Equinox>) b -> b.batchingMode(null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nullReferences")
    void setter_null_throwsNullPointerNamingSetting(String name, Consumer<Equinox> set) {
        NullPointerException e = assertThrows(NullPointerException.class, () -> set.accept(Equinox.builder()));
        assertEquals(name, e.getMessage());
    }

    // ------------------------------------------------------------------ conflicts, checked in build()

    private static void assertConflict(Equinox b, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void build_maxContextAboveKvCapacity_throwsNamingBoth() {
        assertConflict(Equinox.builder().kvCache(10, 16).maxContext(161), "maxContext", "161", "160");
        Equinox.builder().kvCache(10, 16).maxContext(160).build();
    }

    @Test
    void build_chunkAboveBudget_throwsNamingBoth() {
        assertConflict(Equinox.builder().tokenBudget(100).chunkSize(101), "chunkSize", "101", "tokenBudget", "100");
    }

    @Test
    void build_maxRunningAboveBudget_throwsInStallFreeOnly() {
        assertConflict(Equinox.builder().tokenBudget(100).maxRunning(101), "maxRunning", "101", "tokenBudget", "100");
        Equinox.builder().tokenBudget(100).maxRunning(101).batchingMode(BatchingMode.VTC_REFERENCE).build();
    }

    @Test
    void build_perTenantLimitAboveTotal_throwsNamingBoth() {
        assertConflict(Equinox.builder().queueLimits(10, 11), "queueLimits.perTenant", "11", "queueLimits.total", "10");
    }

    @Test
    void build_blockingFallback_throwsNamingIt() {
        assertConflict(Equinox.builder().fallbackPredictor(fixed("slow-fallback", 1, true)), "fallbackPredictor", "slow-fallback");
    }

    @Test
    void build_kvCapacityOverflowsInt_throwsNamingIt() {
        assertConflict(Equinox.builder().kvCache(1 << 20, 1 << 12).maxContext(100), "kvCache", "1048576", "4096");
    }

    @Test
    void build_policyBoundToAnotherScheduler_throwsIllegalState() {
        var p = Policies.vtc();
        Equinox.builder().policy(p).build();
        assertThrows(IllegalStateException.class, () -> Equinox.builder().policy(p).build());
    }

    // ------------------------------------------------------------------ every setting is used

    private static RequestHandle submit(Scheduler s, String tenant, int prompt, int max) {
        return s.submit(RequestSpec.of(tenant, prompt, max)).orElseThrow();
    }

    private static Rejection rejection(Submission sub) {
        assertFalse(sub.accepted(), "expected a rejection");
        return ((Submission.Rejected) sub).reason();
    }

    @Test
    void defaults_documentedValues_inEffect() {
        Scheduler s = Equinox.builder().build();
        SchedulerStats st = s.stats();
        assertEquals(2048, st.tokenBudget());
        assertEquals(256, st.maxRunning());
        assertEquals(2048, st.kvBlocksTotal());
        assertEquals("fcfs", s.policyName());
        assertEquals(Rejection.EXCEEDS_CONTEXT, rejection(s.submit(RequestSpec.of("t", 8000, 193))), "context 8192");
        s.submit(RequestSpec.of("t", 8000, 192)).orElseThrow();
        Batch b = s.nextBatch();
        assertEquals(512, b.tokenCount(0), "chunk 512");
    }

    @Test
    void tokenBudgetAndChunkSize_set_boundEveryStep() {
        Scheduler s = Equinox.builder().tokenBudget(100).chunkSize(30).maxRunning(10).build();
        for (int i = 0; i < 10; i++) {
            submit(s, "t" + i, 70, 5);
        }
        assertEquals(100, s.stats().tokenBudget());
        for (int step = 0; step < 20; step++) {
            Batch b = s.nextBatch();
            assertTrue(b.totalTokens() <= 100, "step uses " + b.totalTokens());
            for (int i = b.decodeCount(); i < b.size(); i++) {
                assertTrue(b.tokenCount(i) <= 30, "chunk of " + b.tokenCount(i));
            }
            if (step == 0) {
                assertEquals(100, b.totalTokens(), "a backlog fills the whole budget");
            }
            if (b.isEmpty()) {
                break;
            }
            s.complete(b, 1, Double.NaN);
        }
    }

    @Test
    void maxRunning_set_capsRunningRequests() {
        Scheduler s = Equinox.builder().maxRunning(3).build();
        for (int i = 0; i < 10; i++) {
            submit(s, "t", 10, 50);
        }
        for (int step = 0; step < 5; step++) {
            s.complete(s.nextBatch(), 1, Double.NaN);
            assertEquals(3, s.stats().running());
        }
    }

    @Test
    void kvCache_set_capacityAndBlockRounding() {
        Scheduler s = Equinox.builder().kvCache(10, 8).kvMargin(0).predictor(fixed("two", 2, false)).build();
        assertEquals(10, s.stats().kvBlocksTotal());
        assertEquals(Rejection.EXCEEDS_KV_CAPACITY, rejection(s.submit(RequestSpec.of("t", 80, 1))), "80 + 1 > 10 x 8");
        submit(s, "t", 13, 20); // 13 + 2 predicted = 15 tokens = 2 blocks of 8
        s.nextBatch();
        assertEquals(2, s.stats().kvBlocksUsed());
    }

    @Test
    void maxContext_set_limitsPromptPlusMaxOutput() {
        Scheduler s = Equinox.builder().maxContext(100).build();
        assertEquals(Rejection.EXCEEDS_CONTEXT, rejection(s.submit(RequestSpec.of("t", 50, 51))));
        assertTrue(s.submit(RequestSpec.of("t", 50, 50)).accepted());
    }

    @Test
    void maxContext_default_isKvCapacityWhenSmaller() {
        Scheduler s = Equinox.builder().kvCache(10, 8).build();
        assertEquals(Rejection.EXCEEDS_CONTEXT, rejection(s.submit(RequestSpec.of("t", 40, 41))));
        assertTrue(s.submit(RequestSpec.of("t", 40, 40)).accepted());
    }

    @Test
    void kvMargin_set_scalesThePredictedOutputReserved() {
        for (double margin : new double[] {0, 1, 3}) {
            Scheduler s = Equinox.builder().kvCache(1000, 1).kvMargin(margin).predictor(fixed("ten", 10, false)).build();
            submit(s, "t", 100, 500);
            s.nextBatch();
            assertEquals(100 + (int) Math.ceil(10 * (1 + margin)), s.stats().kvBlocksUsed(), "margin " + margin);
        }
    }

    @Test
    void queueLimits_set_rejectPerTenantThenTotal() {
        Scheduler s = Equinox.builder().queueLimits(3, 2).build();
        submit(s, "a", 1, 1);
        submit(s, "a", 1, 1);
        Submission third = s.submit(RequestSpec.of("a", 1, 1));
        assertEquals(Rejection.TENANT_QUEUE_FULL, rejection(third));
        assertEquals("a", ((Submission.Rejected) third).tenant());
        submit(s, "b", 1, 1);
        assertEquals(Rejection.QUEUE_FULL, rejection(s.submit(RequestSpec.of("c", 1, 1))));
        s.nextBatch(); // admission frees the waiting slots
        assertTrue(s.submit(RequestSpec.of("c", 1, 1)).accepted());
    }

    @Test
    void tokenWeights_set_usedByTheVtcCharges() {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).tokenWeights(2, 3).build();
        submit(s, "t", 10, 5);
        s.complete(s.nextBatch(), 1, Double.NaN); // prefill: admission charges w_p x 10
        assertEquals(20, s.tenantStats("t").counter(), 1e-9);
        s.complete(s.nextBatch(), 1, Double.NaN); // one decode: w_q
        assertEquals(23, s.tenantStats("t").counter(), 1e-9);
    }

    @Test
    void requireRegisteredTenants_set_unknownTenantRejected() {
        Scheduler s = Equinox.builder().requireRegisteredTenants(true).build();
        Submission sub = s.submit(RequestSpec.of("stranger", 1, 1));
        assertEquals(Rejection.UNKNOWN_TENANT, rejection(sub));
        assertEquals("stranger", ((Submission.Rejected) sub).tenant());
        s.registerTenant("stranger", 1);
        assertTrue(s.submit(RequestSpec.of("stranger", 1, 1)).accepted());
        assertTrue(Equinox.builder().build().submit(RequestSpec.of("anyone", 1, 1)).accepted(), "default: not required");
    }

    @Test
    void policy_set_inUse() {
        assertEquals("vtc", Equinox.builder().policy(Policies.vtc()).build().policyName());
        assertEquals("equinox", Equinox.builder().policy(Policies.equinox()).build().policyName());
    }

    @Test
    void predictorAndFallback_set_predictionFromTheRightOne() {
        Scheduler s = Equinox.builder().predictor(fixed("seven", 7, false)).build();
        RequestHandle h = submit(s, "t", 5, 50);
        s.nextBatch();
        assertEquals(7, h.predictedOutputTokens());

        List<Runnable> parked = new ArrayList<>();
        Executor never = parked::add; // predictions never run: the fallback answers
        Scheduler f = Equinox.builder().predictor(fixed("slow", 7, true)).predictionExecutor(never)
                .fallbackPredictor(fixed("three", 3, false)).build();
        RequestHandle g = submit(f, "t", 5, 50);
        f.nextBatch();
        assertEquals(3, g.predictedOutputTokens());
        assertEquals(1, parked.size(), "the blocking prediction went to the given executor");
    }

    @Test
    void costModelAndAdaptiveBatching_set_modelledStepTimeShrinksTheBudget() {
        // 1 ms per prefill token and per decode: a step with ~1000 prefill tokens takes ~1 s, one with a single
        // 100-token chunk ~0.1 s, so trimming the prefill budget can meet the 0.5 s target and the controller does
        EngineCostModel perToken = CostModels.linear(0, 0.001, 0, 0.001);
        Scheduler s = Equinox.builder().costModel(perToken).adaptiveBatching(true, 0.5).tokenBudget(1000).maxRunning(100)
                .chunkSize(100).build();
        Scheduler off = Equinox.builder().costModel(perToken).adaptiveBatching(false, 0.5)
                .tokenBudget(1000).maxRunning(100).chunkSize(100).build();
        for (Scheduler x : List.of(s, off)) {
            for (int i = 0; i < 40; i++) {
                submit(x, "t", 150, 100);
            }
            for (int step = 0; step < 10; step++) {
                x.complete(x.nextBatch(), 0, Double.NaN); // 0: the scheduler uses the cost model's step time
            }
        }
        assertTrue(s.stats().tokenBudget() < 1000, "adaptive on: " + s.stats().tokenBudget());
        assertEquals(1000, off.stats().tokenBudget(), "adaptive off");
    }

    @Test
    void ticker_set_timestampsComeFromIt() {
        VirtualTicker t = new VirtualTicker();
        t.now = 5_000;
        Scheduler s = Equinox.builder().ticker(t).build();
        RequestHandle h = submit(s, "t", 4, 1);
        assertEquals(5_000, h.queuedAtNanos());
        t.now = 7_000;
        Batch b = s.nextBatch();
        assertEquals(7_000, h.firstScheduledAtNanos());
        t.now = 9_000;
        s.complete(b, 2_000, Double.NaN);
        assertEquals(9_000, h.firstTokenAtNanos());
        assertEquals(9_000, h.finishedAtNanos());
    }

    @Test
    void batchingMode_vtcReference_prefillsWholePromptsUnchunked() {
        Scheduler ref = Equinox.builder().batchingMode(BatchingMode.VTC_REFERENCE).chunkSize(64).build();
        submit(ref, "t", 1000, 10);
        Batch b = ref.nextBatch();
        assertEquals(1000, b.tokenCount(0));
        Scheduler stallFree = Equinox.builder().chunkSize(64).build();
        submit(stallFree, "t", 1000, 10);
        assertEquals(64, stallFree.nextBatch().tokenCount(0));
    }
}

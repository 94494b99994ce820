package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.LinearCostModel;
import org.junit.jupiter.api.Test;

/**
 * The holistic policy's rules, one test per rule, every expected value computed by hand in the test. The engine
 * is {@link PolicyHarness#PROPORTIONAL}: a step takes 1 ms per prompt token plus 4 ms per decode and nothing else,
 * so a request's modelled cost is its GPU time exactly (prefill of p tokens: p ms; a decode: 4 ms) and the
 * measured GPU-seconds per modelled second stay 1. w_p = 1, w_q = 2.
 */
class HolisticRulesTest {
    private static final double EPS = 1e-9;
    private static final double GPU_EPS = 1e-7; // step times pass through whole nanoseconds

    private static PolicyHarness harness() {
        return new PolicyHarness(Policies.equinox(), PolicyHarness.PROPORTIONAL);
    }

    @Test
    void onAdmitted_prediction_chargesTokensAndGpuSecondsAtAdmission() {
        PolicyHarness h = harness();
        h.submit("a", 100, 10, 10);
        h.scheduler.nextBatch();
        assertEquals(100 + 2 * 10, h.counter("a"), EPS, "UFC: w_p x 100 + w_q x 10 predicted");
        assertEquals(0.100 + 9 * 0.004, h.resourceCounter("a"), GPU_EPS,
                "RFC: prefill 100 ms (it yields token 1) + 9 decodes x 4 ms");
    }

    @Test
    void onFinished_exactPrediction_settlesToTheWorkDone() {
        PolicyHarness h = harness();
        h.submit("a", 100, 10, 10);
        h.runUntilIdle(20);
        assertEquals(120, h.counter("a"), EPS);
        assertEquals(0.100 + 9 * 0.004, h.resourceCounter("a"), GPU_EPS, "the prepayment was spent exactly");
    }

    @Test
    void onStepCompleted_underPrediction_beyondTokensAndGpuChargedAsTheyCome() {
        PolicyHarness h = harness();
        h.submit("a", 100, 2, 10);
        h.step(); // token 1
        h.step(); // token 2
        assertEquals(104, h.counter("a"), EPS);
        assertEquals(0.104, h.resourceCounter("a"), GPU_EPS, "prepaid 100 + 1 x 4 ms, all used");
        h.step(); // token 3: beyond the prediction
        assertEquals(106, h.counter("a"), EPS);
        assertEquals(0.108, h.resourceCounter("a"), GPU_EPS, "a second decode: 4 ms beyond the prepayment");
        h.step(); // token 4
        assertEquals(0.112, h.resourceCounter("a"), GPU_EPS);
        h.runUntilIdle(20);
        assertEquals(100 + 2 * 10, h.counter("a"), EPS);
        assertEquals(0.100 + 9 * 0.004, h.resourceCounter("a"), GPU_EPS);
    }

    @Test
    void onFinished_overPrediction_unusedRefunded() {
        PolicyHarness h = harness();
        h.submit("a", 100, 20, 10);
        h.step();
        assertEquals(140, h.counter("a"), EPS);
        assertEquals(0.100 + 19 * 0.004, h.resourceCounter("a"), GPU_EPS);
        h.runUntilIdle(20);
        assertEquals(120, h.counter("a"), EPS, "10 unused tokens x w_q refunded");
        assertEquals(0.136, h.resourceCounter("a"), GPU_EPS);
    }

    @Test
    void charges_tenantWeight_dividedByWeight() {
        PolicyHarness h = harness();
        h.scheduler.registerTenant("a", 2);
        h.submit("a", 100, 10, 10);
        h.runUntilIdle(20);
        assertEquals(120.0 / 2, h.counter("a"), EPS);
        assertEquals(0.136 / 2, h.resourceCounter("a"), GPU_EPS);
    }

    @Test
    void onStepCompleted_stepTime_splitInProportionToModelledCostAndCalibratesPrediction() {
        // decode-only steps cost a fixed 10 ms more than modelled (prefill steps have no fixed part)
        LinearCostModel fixed = new LinearCostModel(0, 0.001, 0.010, 0.004);
        PolicyHarness h = new PolicyHarness(Policies.equinox(), fixed);
        h.submit("a", 100, 10, 10);
        h.submit("b", 100, 10, 10);
        h.step(); // both prefills: 200 ms measured = modelled, 100 ms each
        h.step(); // one decode each: 10 + 2 x 4 = 18 ms measured, 9 ms each
        // both still within their prepayment of 100 + 9 x 4 = 136 ms
        assertEquals(0.136, h.resourceCounter("a"), GPU_EPS);
        h.runUntilIdle(20);
        // 9 decode steps of 18 ms shared by the two: 81 ms each, on top of the 100 ms prefill
        assertEquals(0.100 + 9 * 0.009, h.resourceCounter("a"), GPU_EPS);
        assertEquals(0.100 + 9 * 0.009, h.resourceCounter("b"), GPU_EPS);
        // measured per modelled second: 1 after the prefill step, then 9 decode steps at 18 / 8 = 2.25, smoothed
        // with gain 0.1: k = 2.25 - 1.25 x 0.9^9
        double k = 2.25 - 1.25 * Math.pow(0.9, 9);
        h.submit("c", 50, 5, 5);
        h.scheduler.nextBatch();
        assertEquals((0.050 + 4 * 0.004) * k, h.resourceCounter("c"), GPU_EPS);
    }

    /**
     * a and b each have two requests; two may run. Step 1 admits b0 (no charge yet, so all scores are 0 and the
     * smaller head wins), then a0 (b is now one largest-request ahead). b0 ends in its prefill with 1 of 10
     * predicted tokens.
     *
     * <p>Charges: b0 UFC 40 + 20 = 60, RFC 40 + 9 x 4 = 76 ms; the largest so far, so H_b = 0.7 + 0.3 = 1. a0 UFC
     * 120, RFC 136 ms; the new largest, so H_a = 1. b0's settlement refunds 9 tokens (18) and the 36 ms of decodes
     * it did not run, at the scales of that moment: H_b = 1 - 0.7 x 18 / 120 - 0.3 x 0.036 / 0.136.
     */
    private static PolicyHarness twoTenants(double delta) {
        PolicyHarness h = new PolicyHarness(Policies.equinox(0.7, 0.3, delta), PolicyHarness.PROPORTIONAL,
                b -> b.maxRunning(2).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        h.scheduler.registerTenant("a", 1);
        h.scheduler.registerTenant("b", 1);
        h.submit("a", 100, 10, 10); // a0: work 110
        h.submit("a", 10, 2, 2);    // a1: work 12
        h.submit("b", 40, 10, 1);   // b0: work 50
        h.submit("b", 200, 10, 10); // b1: work 210
        h.step();
        return h;
    }

    @Test
    void score_afterCharges_normalisedByLargestRequestRelativeToMinimum() {
        PolicyHarness h = twoTenants(0.1);
        assertEquals(120, h.counter("a"), EPS);
        assertEquals(42, h.counter("b"), EPS, "60 - 2 x 9 refunded");
        assertEquals(0.136, h.resourceCounter("a"), GPU_EPS);
        assertEquals(0.040, h.resourceCounter("b"), GPU_EPS, "its prefill only");
        HolisticPolicy p = (HolisticPolicy) h.policy;
        double hb = 1 - 0.7 * 18 / 120 - 0.3 * 0.036 / 0.136;
        assertEquals(1 - hb, p.score(h.index("a")), 1e-6, "0.184: a is that much of a largest request ahead");
        assertEquals(0, p.score(h.index("b")), EPS, "the least served tenant scores 0");
    }

    @Test
    void selectTenant_outsideDelta_lowestScoreWinsOverSmallerHead() {
        PolicyHarness h = twoTenants(0.1); // a scores 0.184 > 0 + 0.1
        Batch s = h.step();
        assertTrue(PolicyHarness.contains(s, h.handles.get(3)), "b1 (b scores 0) although a1 is smaller");
        assertFalse(PolicyHarness.contains(s, h.handles.get(1)));
    }

    @Test
    void selectTenant_withinDelta_leastPredictedWorkWins() {
        PolicyHarness h = twoTenants(1.0); // a scores 0.184 <= 0 + 1.0: both are candidates
        Batch s = h.step();
        assertTrue(PolicyHarness.contains(s, h.handles.get(1)), "a1 (12 tokens of work) before b1 (210)");
        assertFalse(PolicyHarness.contains(s, h.handles.get(3)));
    }

    @Test
    void selectTenant_deltaZero_lowestScoreFirstWithoutEfficiencyChoice() {
        for (double delta : new double[] {0, 0.1}) {
            PolicyHarness h = new PolicyHarness(Policies.equinox(0.7, 0.3, delta), PolicyHarness.PROPORTIONAL,
                    b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
            h.scheduler.registerTenant("a", 1);
            h.scheduler.registerTenant("b", 1);
            RequestHandle big = h.submit("a", 100, 10, 10);
            RequestHandle small = h.submit("b", 40, 10, 10);
            Batch s = h.step(); // no charge yet: both score 0
            RequestHandle expected = delta == 0 ? big : small;
            assertTrue(PolicyHarness.contains(s, expected), "delta " + delta + ": ties go to the lower index only when delta = 0");
        }
    }

    @Test
    void onBacklogged_newTenantBehindBackloggedOne_bothCountersLifted() {
        PolicyHarness h = new PolicyHarness(Policies.equinox(), PolicyHarness.PROPORTIONAL,
                b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        h.submit("a", 100, 10, 10);
        h.submit("a", 100, 10, 10);
        h.step(); // a0 runs: UFC 120, RFC 136 ms, H 1; a1 waits
        h.submit("b", 10, 1, 1);
        h.step(); // b backlogged behind a: lifted to a's counters; not admitted (one may run)
        assertEquals(120, h.counter("b"), EPS);
        assertEquals(0.136, h.resourceCounter("b"), GPU_EPS);
        assertEquals(0, ((HolisticPolicy) h.policy).score(h.index("b")), EPS);
    }

    @Test
    void selectVictim_memoryRunsOut_tenantWithHighestScorePreempted() {
        PreemptionScenario s = PreemptionScenario.run(Policies.equinox());
        // a was admitted first and b is the one that needs memory: the victim is a because its H is higher (a's
        // single charge set both scales: 1; b: 0.7 x (10 + 8) / 32 + 0.3 x (8 + 16 ms) / 44 ms = 0.56), not
        // because of admission order
        assertEquals(s.first, s.victim());
    }

    @Test
    void preemption_readmittedRequest_neverChargedTwice() {
        PreemptionScenario s = PreemptionScenario.run(Policies.equinox());
        assertEquals(s.first, s.victim());
        assertEquals(16 + 2 * 10, s.h.counter("a"), EPS, "prompt and 10 tokens, each once");
        assertEquals(8 + 2 * 12, s.h.counter("b"), EPS);
        // a: prefill 16 ms, decodes of tokens 2..6 and 8..10 (4 ms beyond its prepaid 16 + 7 x 4 ms); the
        // recomputing prefill (16 + 6 tokens, which yields token 7) is charged to nobody
        assertEquals(0.016 + 8 * 0.004, s.h.resourceCounter("a"), GPU_EPS);
        assertEquals(0.008 + 11 * 0.004, s.h.resourceCounter("b"), GPU_EPS);
    }

    @Test
    void failedStep_recomputingPrefill_chargedToNobody() {
        PolicyHarness h = harness();
        h.submit("a", 100, 10, 10);
        h.step(); // prefill: 100 ms, token 1
        h.step(); // decode: token 2
        Batch lost = h.scheduler.nextBatch();
        h.scheduler.fail(lost, new RuntimeException("engine step failed"));
        h.runUntilIdle(30);
        assertEquals(120, h.counter("a"), EPS, "prompt and 10 tokens, each once");
        // prepaid 100 + 9 x 4 ms; spent: prefill 100 ms, token 2's decode, then the recomputing prefill (102 tokens,
        // yields token 3) charged to nobody, then decodes of tokens 4..10; the unused 4 ms are refunded
        assertEquals(0.100 + 8 * 0.004, h.resourceCounter("a"), GPU_EPS);
    }

    @Test
    void cancel_requeuedRequestWaiting_unusedPredictionRefunded() {
        PolicyHarness h = harness();
        RequestHandle r = h.submit("a", 100, 20, 10);
        h.step(); // prefill: token 1
        h.scheduler.fail(h.scheduler.nextBatch(), new RuntimeException("engine step failed"));
        assertEquals(140, h.counter("a"), EPS, "charged on prediction at admission");
        r.cancel();
        h.scheduler.nextBatch(); // the engine applies the cancel
        assertEquals(RequestStatus.CANCELLED, r.status());
        assertEquals(100 + 2 * 1, h.counter("a"), EPS, "19 predicted tokens never produced are refunded");
        assertEquals(0.100, h.resourceCounter("a"), GPU_EPS, "only the prefill that ran stays charged");
    }

    @Test
    void onFinished_latencyExponentOne_chargeDiscountedByIdleOverPerceivedLatency() {
        PolicyHarness h = new PolicyHarness(Policies.equinox(0.7, 0.3, 0.1, 1.0), PolicyHarness.PROPORTIONAL);
        h.submit("a", 100, 10, 10);
        h.ticker.advanceSeconds(1.0); // waits 1 s before the engine runs
        h.runUntilIdle(20);
        double idle = 0.100 + 9 * 0.004; // prefill of 100 tokens + 9 decodes on an idle engine
        double perceived = 1.0 + idle;
        assertEquals(120 * idle / perceived, h.counter("a"), 1e-6);
    }

    @Test
    void onFinished_latencyExponentOneNoWait_noDiscount() {
        PolicyHarness h = new PolicyHarness(Policies.equinox(0.7, 0.3, 0.1, 1.0), PolicyHarness.PROPORTIONAL);
        h.submit("a", 100, 10, 10);
        h.runUntilIdle(20);
        assertEquals(120, h.counter("a"), 1e-6, "served as fast as an idle engine: q = 1");
    }

    @Test
    void equinox_invalidParameters_rejected() {
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.4, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(-0.1, 1.1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.3, -0.1));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.3, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(Double.NaN, 0.3, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.3, 0.1, -1));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.3, 0.1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Policies.equinox(0.7, 0.3, 0.1, Double.POSITIVE_INFINITY));
    }
}

package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.SchedulingPolicy;
import org.junit.jupiter.api.Test;

/**
 * VTC's charging and selection rules, one test per rule, with every expected counter computed by hand in the
 * test (w_p = 1, w_q = 2 unless stated). The engine is the stall-free {@link PolicyHarness}: a step prefills every
 * admitted prompt whole (it produces the first token) and decodes every running request once.
 */
class VtcRulesTest {
    private static final double EPS = 1e-9;

    private static PolicyHarness harness(SchedulingPolicy p) {
        return new PolicyHarness(p, CostModels.vtcA10g());
    }

    @Test
    void onAdmitted_prompt_chargedAtAdmissionOnly() {
        PolicyHarness h = harness(Policies.vtc());
        h.submit("a", 100, 3, 3);
        h.scheduler.nextBatch(); // admission
        assertEquals(100, h.counter("a"), EPS, "w_p x 100 prompt tokens, before the prefill ran");
    }

    @Test
    void onStepCompleted_decodes_chargeOutputWeightPerStepNotTheFirstToken() {
        PolicyHarness h = harness(Policies.vtc());
        h.submit("a", 100, 4, 4);
        h.step(); // prefill: first token, not charged
        assertEquals(100, h.counter("a"), EPS);
        h.step(); // decode: token 2
        assertEquals(102, h.counter("a"), EPS);
        h.step(); // decode: token 3
        assertEquals(104, h.counter("a"), EPS);
    }

    @Test
    void onStepCompleted_requestFinishes_everyProducingRequestChargedOnceMore() {
        PolicyHarness h = harness(Policies.vtc());
        h.submit("a", 10, 2, 2);
        h.submit("b", 10, 5, 5);
        h.step(); // both prefilled: 10 each
        h.step(); // both decode (+2 each); a finishes, so both are charged +2 once more
        assertEquals(14, h.counter("a"), EPS);
        assertEquals(14, h.counter("b"), EPS);
        h.step(); // b alone: token 3
        assertEquals(16, h.counter("b"), EPS);
        h.runUntilIdle(10); // tokens 4 and 5, then +2 for its own finishing step
        assertEquals(10 + 2 * 4 + 2 + 2, h.counter("b"), EPS);
        assertEquals(14, h.counter("a"), EPS);
    }

    @Test
    void charges_tenantWeight_dividedByWeight() {
        PolicyHarness h = harness(Policies.vtc());
        h.scheduler.registerTenant("heavy", 4);
        h.submit("heavy", 100, 3, 3);
        h.runUntilIdle(10);
        // (100 + 2 x 2 decodes + 2 extra in the finishing step) / 4
        assertEquals(106.0 / 4, h.counter("heavy"), EPS);
    }

    @Test
    void charges_customTokenWeights_usedForPromptAndOutput() {
        PolicyHarness h = new PolicyHarness(Policies.vtc(), CostModels.vtcA10g(),
                b -> b.tokenWeights(3, 5).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        h.submit("a", 100, 3, 3);
        h.runUntilIdle(10);
        assertEquals(3 * 100 + 5 * 2 + 5, h.counter("a"), EPS);
    }

    @Test
    void onBacklogged_newTenantBehindBackloggedOne_liftedToTheirMinimum() {
        PolicyHarness h = new PolicyHarness(Policies.vtc(), CostModels.vtcA10g(),
                b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        RequestHandle a0 = h.submit("a", 10, 3, 3);
        RequestHandle a1 = h.submit("a", 10, 3, 3);
        h.step(); // a0 admitted (10), a1 waits
        h.step(); // a0 decodes: 12
        assertEquals(12, h.counter("a"), EPS);
        RequestHandle b0 = h.submit("b", 10, 3, 3);
        Batch s3 = h.step(); // b's queue becomes non-empty: lifted from 0 to min(a) = 12; a0 finishes: 12 + 2 + 2
        assertTrue(PolicyHarness.contains(s3, a0));
        assertEquals(12, h.counter("b"), EPS);
        assertEquals(16, h.counter("a"), EPS);
        Batch s4 = h.step(); // b (12) < a (16): b's request goes first although a1 arrived earlier
        assertTrue(PolicyHarness.contains(s4, b0));
        assertFalse(PolicyHarness.contains(s4, a1));
        assertEquals(22, h.counter("b"), EPS);
    }

    @Test
    void onBacklogged_otherTenantOnlyRunning_noLift() {
        PolicyHarness h = harness(Policies.vtc());
        h.submit("a", 50, 5, 5);
        h.step(); // a running, nothing of a's waiting
        h.submit("b", 10, 3, 3);
        h.scheduler.nextBatch(); // b backlogged: no other tenant waits, so no lift; then admitted (+10)
        assertEquals(10, h.counter("b"), EPS);
    }

    @Test
    void onBacklogged_counterAboveMinimum_neverLowered() {
        PolicyHarness h = new PolicyHarness(Policies.vtc(), CostModels.vtcA10g(),
                b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        h.submit("b", 500, 1, 1);
        h.runUntilIdle(10); // b: 500 + 2 (its finishing prefill step charges the producing entry once more)
        h.submit("a", 10, 3, 3);
        h.submit("a", 10, 3, 3);
        h.step(); // a: 10
        h.submit("b", 10, 3, 3);
        h.step(); // b backlogged again: max(502, min(a) = 10) = 502; not admitted (a0 runs)
        assertEquals(502, h.counter("b"), EPS);
    }

    @Test
    void selectTenant_lowestCounter_admittedFirst() {
        PolicyHarness h = new PolicyHarness(Policies.vtc(), CostModels.vtcA10g(),
                b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        RequestHandle a0 = h.submit("a", 300, 1, 1);
        RequestHandle a1 = h.submit("a", 10, 1, 1);
        RequestHandle b0 = h.submit("b", 100, 1, 1);
        RequestHandle b1 = h.submit("b", 10, 1, 1);
        assertTrue(PolicyHarness.contains(h.step(), a0), "0 = 0: a, seen first");
        assertEquals(302, h.counter("a"), EPS, "300 + 2 for its finishing step");
        assertTrue(PolicyHarness.contains(h.step(), b0), "b (0) < a (302)");
        assertEquals(102, h.counter("b"), EPS);
        Batch s = h.step();
        assertTrue(PolicyHarness.contains(s, b1), "b (102) < a (302), although a1 arrived before b1");
        assertFalse(PolicyHarness.contains(s, a1));
    }

    @Test
    void selectTenant_equalCounters_tenantSeenFirstWins() {
        PolicyHarness h = new PolicyHarness(Policies.vtc(), CostModels.vtcA10g(),
                b -> b.maxRunning(1).tokenBudget(4096).chunkSize(4096).kvCache(4096, 16));
        h.scheduler.registerTenant("late-arriver", 1); // seen first
        h.scheduler.registerTenant("early-arriver", 1);
        RequestHandle early = h.submit("early-arriver", 10, 1, 1);
        RequestHandle late = h.submit("late-arriver", 10, 1, 1);
        Batch s = h.step();
        assertTrue(PolicyHarness.contains(s, late), "both counters are 0: the tenant seen first wins, not arrival order");
        assertFalse(PolicyHarness.contains(s, early));
    }

    @Test
    void predictVariant_exactPrediction_chargedOnceAtAdmission() {
        PolicyHarness h = harness(Policies.vtcWithPrediction());
        h.submit("a", 100, 5, 5);
        h.step();
        assertEquals(110, h.counter("a"), EPS, "100 + 2 x 5 predicted");
        h.runUntilIdle(10);
        assertEquals(110, h.counter("a"), EPS);
    }

    @Test
    void predictVariant_underPrediction_beyondTokensChargedAsProduced() {
        PolicyHarness h = harness(Policies.vtcWithPrediction());
        h.submit("a", 100, 2, 5);
        h.step(); // admission 100 + 4; token 1
        h.step(); // token 2: 1 produced before the step, not beyond 2
        h.step(); // token 3: 2 before, not beyond
        assertEquals(104, h.counter("a"), EPS);
        h.step(); // token 4: 3 before > 2: +2
        assertEquals(106, h.counter("a"), EPS);
        h.step(); // token 5: 4 before: +2; finishing step: 5 > 2: +2 once more
        assertEquals(110, h.counter("a"), EPS, "100 + 2 x 5: each token beyond the prediction charged once");
    }

    @Test
    void predictVariant_overPrediction_unusedRefundedAtFinish() {
        PolicyHarness h = harness(Policies.vtcWithPrediction());
        h.submit("a", 100, 8, 5);
        h.step();
        assertEquals(116, h.counter("a"), EPS);
        h.runUntilIdle(10);
        assertEquals(116 - 2 * 3, h.counter("a"), EPS, "3 unused predicted tokens refunded");
    }

    @Test
    void predictVariant_otherPastPredictionWhenOneFinishes_chargedOnceMoreAsTheArtifact() {
        PolicyHarness h = harness(Policies.vtcWithPrediction());
        h.submit("a", 10, 2, 2);
        h.submit("b", 10, 1, 6);
        h.step(); // a: 10 + 4, b: 10 + 2; both produce token 1
        h.step(); // token 2 each: before = 1 > 1? no. a finishes; b now has 2 > 1: +2 once more
        assertEquals(14, h.counter("a"), EPS);
        assertEquals(14, h.counter("b"), EPS);
        h.runUntilIdle(10); // b: tokens 3..6 each with > 1 produced before: +8; its finishing step: +2
        assertEquals(14 + 8 + 2, h.counter("b"), EPS);
    }

    @Test
    void preemption_readmittedRequest_neverChargedTwice() {
        PreemptionScenario s = PreemptionScenario.run(Policies.vtc());
        assertEquals(s.first, s.victim(), "a has the higher counter (26 vs 16) when b needs a block");
        // a: prompt once; tokens 2..10 once each (token 7 comes from the recomputing prefill, the recomputed
        // prompt and tokens are not charged); +2 for its own finishing step. It shared no batch with a finishing
        // request.
        assertEquals(16 + 2 * 9 + 2, s.h.counter("a"), EPS);
        // b: prompt, tokens 2..12, +2 for its finishing step
        assertEquals(8 + 2 * 11 + 2, s.h.counter("b"), EPS);
    }
}

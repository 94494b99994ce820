package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.cost.LinearCostModel;
import dev.equinox.spi.EngineCostModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The adaptive batching controller on hand-built steps (expected budgets and caps computed in the test), then in a
 * scheduler: it must not cost throughput where the target is out of reach, nor keep a newly arrived tenant out.
 */
class AdaptiveBatchingTest {
    private static final double TARGET = 0.1;
    /** Prefill step 5 ms + 0.1 ms per token, decode step 10 ms + 1 ms per sequence (mixed: prefill's 5 ms). */
    private static final EngineCostModel CHEAP_FIXED = new LinearCostModel(0.005, 0.0001, 0.010, 0.001);

    private static Req req(long id, int computed, int prefillTarget) {
        Req r = new Req(id, new Tenant("t", 0, 1, false), RequestSpec.of("t", 1000, 1000), null);
        r.computed = computed;
        r.prefillTarget = prefillTarget;
        return r;
    }

    /** A step with {@code decodes} decode entries and one prefill chunk of {@code prefill} tokens (0: none). */
    private static Batch step(int decodes, int prefill) {
        Batch b = new Batch();
        b.reset(0);
        Req[] running = new Req[decodes];
        long[] ids = new long[decodes];
        int[] tenants = new int[decodes];
        int[] computed = new int[decodes];
        long sum = 0;
        for (int i = 0; i < decodes; i++) {
            running[i] = req(i, 100, 100);
            ids[i] = i;
            computed[i] = 100;
            sum += 100;
        }
        b.addDecodes(ids, tenants, computed, 0, decodes, sum);
        b.endDecodes(running);
        if (prefill > 0) {
            b.addPrefill(req(decodes, 0, 2 * prefill), 0, prefill);
        }
        return b;
    }

    private static AdaptiveBatching controller(EngineCostModel model) {
        return new AdaptiveBatching(true, 2048, 256, 256, TARGET, model);
    }

    @Test
    void observe_disabled_budgetAndCapStayAtMaximum() {
        AdaptiveBatching a = new AdaptiveBatching(false, 2048, 256, 256, TARGET, CHEAP_FIXED);
        a.observe(step(20, 1000), 1.0, Double.NaN);
        assertEquals(2048, a.budget());
        assertEquals(256, a.maxRunning());
    }

    @Test
    void observe_stepWithoutDecodes_ignored() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        a.observe(step(0, 2000), 1.0, Double.NaN);
        assertEquals(2048, a.budget());
    }

    @Test
    void observe_overTargetAndOneChunkWouldMeetIt_budgetShrinksTenPercent() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        // 5 + 100 + 20 = 125 ms > 105 ms; with a 256-token chunk: 5 + 25.6 + 20 = 50.6 ms <= 100 ms
        a.observe(step(20, 1000), 0.125, Double.NaN);
        assertEquals((int) (2048 * 0.9), a.budget());
        assertEquals(256, a.maxRunning());
    }

    @Test
    void observe_fixedCostsPutTargetOutOfReach_budgetKept() {
        AdaptiveBatching a = controller(CostModels.vtcA10g());
        // A10G: 70 + 0.16 x 512 + 0.6 x 60 = 188 ms; even one 256-token chunk: 70 + 41 + 36 = 147 ms > 100 ms
        a.observe(step(60, 512), 0.188, Double.NaN);
        assertEquals(2048, a.budget(), "a smaller budget would cost prefill throughput and still miss the target");
    }

    @Test
    void observe_decodesAloneOverTarget_runningCapKept() {
        EngineCostModel slowDecode = new LinearCostModel(0.005, 0.0001, 0.010, 0.002);
        AdaptiveBatching a = controller(slowDecode);
        a.observe(step(60, 0), 0.010 + 60 * 0.002, Double.NaN); // 130 ms, all of it decodes
        assertEquals(256, a.maxRunning(), "fewer sequences would cost throughput");
        assertEquals(2048, a.budget(), "no prefill in the step: the budget is not what made it slow");
    }

    @Test
    void observe_repeatedOverTarget_budgetNeverBelowOneChunk() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        for (int i = 0; i < 100; i++) {
            a.observe(step(20, 1000), 0.125, Double.NaN);
        }
        assertEquals(256, a.budget());
    }

    @Test
    void observe_underTarget_growsFivePercentPlusOneUpToMaximum() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        a.observe(step(20, 1000), 0.125, Double.NaN); // 1843
        a.observe(step(20, 0), 0.030, Double.NaN); // 30 ms < 90 ms
        assertEquals(1843 + 1843 / 20 + 1, a.budget());
        for (int i = 0; i < 20; i++) {
            a.observe(step(20, 0), 0.030, Double.NaN);
        }
        assertEquals(2048, a.budget());
        assertEquals(256, a.maxRunning());
    }

    @Test
    void observe_nearTargetButGpuUnderused_grows() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        a.observe(step(20, 1000), 0.125, Double.NaN); // 1843
        a.observe(step(20, 600), 0.095, Double.NaN); // within [90 %, 105 %] of the target: unchanged
        assertEquals(1843, a.budget());
        a.observe(step(20, 600), 0.095, 0.5); // same, but the GPU was busy half the step
        assertEquals(1843 + 1843 / 20 + 1, a.budget());
    }

    @Test
    void observe_durationUnknown_usesModelledStepTime() {
        AdaptiveBatching a = controller(CHEAP_FIXED);
        a.observe(step(20, 1000), 0, Double.NaN); // modelled 125 ms
        assertEquals((int) (2048 * 0.9), a.budget());
    }

    /** A burst of 240 requests from six tenants on the A10G model; returns the makespan in seconds. */
    private static double burstMakespan(boolean adaptive) {
        VirtualTicker ticker = new VirtualTicker();
        EngineCostModel m = CostModels.vtcA10g();
        Scheduler s = Equinox.builder().policy(Policies.equinox()).ticker(ticker).costModel(m).tokenBudget(512)
                .maxRunning(64).kvCache(2000, 16).chunkSize(256).predictor(Predictors.oracle(0.5, 7))
                .adaptiveBatching(adaptive, AdaptiveBatching.DEFAULT_TARGET_TPOT_SECONDS).build();
        TestEngine e = new TestEngine(s, ticker, m, 512);
        List<TestEngine.Arrival> w = new ArrayList<>();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        for (int t = 0; t < 6; t++) {
            for (int i = 0; i < 40; i++) {
                int out = 1 + rnd.nextInt(200);
                w.add(new TestEngine.Arrival(0, "t" + t, 1 + rnd.nextInt(300), out, out));
            }
        }
        e.run(w, 200_000);
        e.assertAllTerminal();
        return ticker.now / 1e9;
    }

    @Test
    void scheduler_targetOutOfReach_noThroughputLost() {
        double on = burstMakespan(true);
        double off = burstMakespan(false);
        assertTrue(on <= off * 1.01, "makespan with adaptive batching " + on + " s vs " + off + " s without");
    }

    /**
     * 400 long requests of one tenant fill the 256 running slots on the A10G model, whose decodes alone then pass
     * the target; a light tenant arrives at 30 s. Returns {makespan, light tenant's wait for admission}.
     */
    private static double[] heavyDecodes(boolean adaptive) {
        VirtualTicker ticker = new VirtualTicker();
        EngineCostModel m = CostModels.vtcA10g();
        Scheduler s = Equinox.builder().policy(Policies.equinox()).ticker(ticker).costModel(m).tokenBudget(2048)
                .maxRunning(256).kvCache(8192, 16).chunkSize(512).predictor(Predictors.oracle())
                .adaptiveBatching(adaptive, AdaptiveBatching.DEFAULT_TARGET_TPOT_SECONDS).build();
        TestEngine e = new TestEngine(s, ticker, m, 2048);
        List<TestEngine.Arrival> w = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            w.add(new TestEngine.Arrival(0, "heavy", 64, 400, 400));
        }
        w.add(new TestEngine.Arrival(30, "light", 64, 16, 16));
        e.run(w, 500_000);
        e.assertAllTerminal();
        RequestHandle light = e.handles.get(e.handles.size() - 1);
        return new double[] {ticker.now / 1e9, (light.firstScheduledAtNanos() - light.queuedAtNanos()) / 1e9};
    }

    @Test
    void scheduler_decodesAloneOverTarget_noThroughputLostAndNewTenantNotDelayed() {
        double[] on = heavyDecodes(true);
        double[] off = heavyDecodes(false);
        assertTrue(on[0] <= off[0] * 1.01, "makespan " + on[0] + " s with the controller, " + off[0] + " s without");
        assertTrue(on[1] <= off[1] + 0.5, "light tenant waited " + on[1] + " s with the controller, " + off[1] + " s without");
    }
}

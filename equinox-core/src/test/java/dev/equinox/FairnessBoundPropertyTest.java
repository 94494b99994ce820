package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.SchedulingPolicy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fairness guarantees as properties over random request sizes. Two tenants submit their whole backlog at time
 * 0, all of a's requests first (FCFS would serve a alone), so both stay backlogged until one runs dry; every step
 * is checked while both still have waiting requests. Odd seeds draw both tenants' sizes from one distribution
 * (prompt and output uniform in 1..256); even seeds give a long prompts with short outputs and b short prompts
 * with long outputs (VTC's poisson_short_long_2 shape), where in-flight decodes and the token and GPU-time views
 * of cost disagree most. The engine holds at most {@link #KV_TOKENS} tokens of KV.
 */
class FairnessBoundPropertyTest {
    private static final int REQUESTS_PER_TENANT = 120;
    private static final int KV_TOKENS = 100 * 16;
    private static final int MAX_PROMPT = 511;

    /** Submits both backlogs and returns the largest single-request cost w_p p + w_q o. */
    private static double submitBacklogs(PolicyHarness h, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean skewed = seed % 2 == 0;
        double max = 0;
        for (String t : new String[] {"a", "b"}) {
            for (int i = 0; i < REQUESTS_PER_TENANT; i++) {
                int prompt;
                int output;
                if (!skewed) {
                    prompt = 1 + rnd.nextInt(256);
                    output = 1 + rnd.nextInt(256);
                } else if (t.equals("a")) {
                    prompt = 128 + rnd.nextInt(MAX_PROMPT - 127);
                    output = 1 + rnd.nextInt(32);
                } else {
                    prompt = 1 + rnd.nextInt(32);
                    output = 128 + rnd.nextInt(384);
                }
                h.submit(t, prompt, output, output);
                max = Math.max(max, prompt + 2.0 * output);
            }
        }
        return max;
    }

    private static boolean bothBacklogged(PolicyHarness h) {
        return h.scheduler.tenantsById().get("a").waiting > 0 && h.scheduler.tenantsById().get("b").waiting > 0;
    }

    private static PolicyHarness engine(SchedulingPolicy p, EngineCostModel model) {
        return new PolicyHarness(p, model, b -> b.tokenBudget(512).chunkSize(256).maxRunning(32).kvCache(KV_TOKENS / 16, 16));
    }

    /** Largest |W_a - W_b| (service delivered) over the steps where both are backlogged; asserts there were many. */
    private static double worstServiceDifference(PolicyHarness h) {
        double worst = 0;
        long checked = 0;
        h.step();
        while (bothBacklogged(h)) {
            worst = Math.max(worst, Math.abs(h.service("a") - h.service("b")));
            checked++;
            h.step();
        }
        assertTrue(checked > 1000, "both tenants must stay backlogged for a while, got " + checked + " steps");
        return worst;
    }

    /**
     * VTC's theorem (Sheng et al., OSDI 2024): for two backlogged clients the service difference is at most 2U with
     * U = max(w_p x longest prompt, w_q x M), M the most tokens a running batch can hold (here the KV capacity).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void vtc_twoBackloggedTenants_serviceDifferenceWithinTheoremBound(long seed) {
        PolicyHarness h = engine(Policies.vtc(), CostModels.vtcA10g());
        submitBacklogs(h, seed);
        double bound = 2 * Math.max(1.0 * MAX_PROMPT, 2.0 * KV_TOKENS);
        double worst = worstServiceDifference(h);
        assertTrue(worst <= bound, "seed " + seed + ": service difference " + worst + " > 2U = " + bound);
    }

    /**
     * The tighter bound the project notes quote, twice the largest single request, holds when both tenants' sizes
     * come from one distribution. It does not hold in general: with skewed sizes b's many long decodes run on
     * while a waits for memory, and on seeds 2 and 8 the difference reached 2,499 and 2,262 against twice the
     * largest request, 2,038 and 2,072 (docs/fairness.md); the theorem's M term is what bounds that case.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 3, 5, 7})
    void vtc_sameSizeDistribution_serviceDifferenceWithinTwiceLargestRequest(long seed) {
        PolicyHarness h = engine(Policies.vtc(), CostModels.vtcA10g());
        double bound = 2 * submitBacklogs(h, seed);
        double worst = worstServiceDifference(h);
        assertTrue(worst <= bound, "seed " + seed + ": service difference " + worst + " > 2 x largest request = " + bound);
    }

    @Test
    void fcfs_sameWorkload_exceedsTheoremBound() {
        PolicyHarness h = engine(Policies.fcfs(), CostModels.vtcA10g());
        submitBacklogs(h, 1);
        double bound = 2 * Math.max(1.0 * MAX_PROMPT, 2.0 * KV_TOKENS);
        double worst = 0;
        while (!h.allTerminal()) {
            h.step();
            worst = Math.max(worst, Math.abs(h.service("a") - h.service("b")));
        }
        assertTrue(worst > 3 * bound, "FCFS serves a's backlog first: the property must be able to fail, got " + worst);
    }

    /**
     * Equinox: HF_a - HF_b stays within delta + 1 (HF is in units of the largest request) when charges are exact:
     * oracle output lengths, and a cost model whose step time is exactly the sum of its entries' modelled costs.
     * The gap must also open (a policy that never charged would keep it at 0), and where both tenants' sizes come
     * from one distribution (odd seeds) the service delivered, measured by the harness in VTC's token cost, stays
     * within twice the largest request as under VTC. With skewed sizes (even seeds) it does not, by design: the
     * resource counter prices a decode above VTC's w_q = 2 (docs/fairness.md, `poisson_short_long_2`).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void equinox_twoBackloggedTenants_scoreGapWithinDeltaPlusOneRequest(long seed) {
        double delta = Policies.DEFAULT_DELTA;
        PolicyHarness h = engine(Policies.equinox(), PolicyHarness.PROPORTIONAL);
        double largest = submitBacklogs(h, seed);
        HolisticPolicy p = (HolisticPolicy) h.policy;
        double worst = 0;
        double worstService = 0;
        long checked = 0;
        h.step();
        int a = h.index("a");
        int b = h.index("b");
        while (bothBacklogged(h)) {
            worst = Math.max(worst, Math.abs(p.score(a) - p.score(b)));
            worstService = Math.max(worstService, Math.abs(h.service("a") - h.service("b")));
            checked++;
            h.step();
        }
        assertTrue(checked > 1000, "both tenants must stay backlogged for a while, got " + checked + " steps");
        assertTrue(worst <= delta + 1 + 1e-6, "seed " + seed + ": |HF_a - HF_b| reached " + worst + " > delta + 1");
        assertTrue(worst > 0.25, "seed " + seed + ": the scores never moved apart (" + worst + "): is anyone charged?");
        if (seed % 2 == 1) {
            assertTrue(worstService <= 2 * largest, "seed " + seed + ": service difference " + worstService
                    + " > 2 x largest request = " + 2 * largest);
        }
    }
}

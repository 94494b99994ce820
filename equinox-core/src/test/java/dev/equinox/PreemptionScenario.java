package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

/**
 * Two requests that run out of KV memory together, for the victim and no-double-charge tests. KV: 9 blocks of 4
 * tokens, no margin, reservations follow the (oracle) prediction:
 * <ul>
 * <li>{@link #first} (tenant "a"): prompt 16, predicted 8, true output 10; submitted and admitted alone in step 1,
 * reserving 6 blocks;</li>
 * <li>{@link #second} (tenant "b"): prompt 8, predicted 1, true output 12; submitted after step 1 and admitted in
 * step 2 with the last 3 blocks.</li>
 * </ul>
 * In step 7 the second has 12 tokens computed and needs a fourth block while none is free, so the policy picks a
 * victim between the first (admitted earlier, larger charges) and the second (the needy one, admitted last). The
 * victim is recomputed once the other has finished; the run continues until both have finished.
 *
 * <p>{@link #run(SchedulingPolicy, int, int)} with predictions (1, 8) instead makes the first the needy one: it
 * reserves 5 blocks, the second 4, and in step 6 the first needs a sixth.
 */
final class PreemptionScenario {
    final PolicyHarness h;
    final RequestHandle first;
    final RequestHandle second;

    private PreemptionScenario(PolicyHarness h, RequestHandle first, RequestHandle second) {
        this.h = h;
        this.first = first;
        this.second = second;
    }

    /** The scenario where the second request (admitted last) is the one that needs memory. */
    static PreemptionScenario run(SchedulingPolicy policy) {
        return run(policy, 8, 1);
    }

    /** The scenario with the given predicted outputs of the first and the second request. */
    static PreemptionScenario run(SchedulingPolicy policy, int firstPredicted, int secondPredicted) {
        PolicyHarness h = new PolicyHarness(policy, PolicyHarness.PROPORTIONAL,
                b -> b.tokenBudget(4096).chunkSize(4096).maxRunning(64).kvCache(9, 4));
        RequestHandle a = h.submit("a", 16, firstPredicted, 10);
        h.step();
        RequestHandle b = h.submit("b", 8, secondPredicted, 12);
        h.runUntilIdle(100);
        if (a.status() != RequestStatus.FINISHED || b.status() != RequestStatus.FINISHED) {
            throw new AssertionError("scenario did not finish: " + a + ", " + b);
        }
        if (a.generatedTokens() != 10 || b.generatedTokens() != 12) {
            throw new AssertionError("tokens lost: " + a + ", " + b);
        }
        return new PreemptionScenario(h, a, b);
    }

    /** The preempted request (exactly one request is preempted, once). */
    RequestHandle victim() {
        if (first.preemptions() + second.preemptions() != 1) {
            throw new AssertionError("expected exactly one preemption, got " + first.preemptions() + " + " + second.preemptions());
        }
        return first.preemptions() == 1 ? first : second;
    }
}

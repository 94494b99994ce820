package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.Predictor;
import dev.equinox.spi.SchedulerView;
import dev.equinox.spi.SchedulingPolicy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A policy's two scratch values per request ({@link SchedulerView#scratch}) are kept in the scheduler's running arrays
 * while the request runs and in the request otherwise: they must follow each request through admission, the swaps
 * of the running set when others finish, preemption (back to the queue) and re-admission, to its end.
 */
class PolicyScratchTest {

    /** FCFS over the active tenants that counts, in scratch 0, the steps each request took part in. */
    private static final class CountingPolicy implements SchedulingPolicy {
        SchedulerView view;
        final Map<Long, Double> atPreemption = new HashMap<>();
        final Map<Long, double[]> atFinish = new HashMap<>();
        int preemptions;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public void bind(SchedulerView v) {
            view = v;
        }

        @Override
        public void onBacklogged(int tenant) {
        }

        @Override
        public int selectTenant() {
            return view.activeTenantCount() == 0 ? -1 : view.activeTenant(0);
        }

        @Override
        public void onAdmitted(RequestHandle r, boolean readmitted) {
            if (!readmitted) {
                assertEquals(0.0, view.scratch(r, 0), "a new request's scratch starts at 0");
                view.setScratch(r, 1, r.id() + 0.5); // distinct per request: a value moved to the wrong request shows
            }
        }

        @Override
        public RequestHandle selectVictim(RequestHandle needy) {
            return null; // the needy request itself
        }

        @Override
        public void onPreempted(RequestHandle r) {
            preemptions++;
            atPreemption.put(r.id(), view.scratch(r, 0));
        }

        @Override
        public void onStepCompleted(Batch b, double seconds, double utilization) {
            for (int i = 0; i < b.size(); i++) {
                RequestHandle r = b.request(i);
                view.setScratch(r, 0, view.scratch(r, 0) + 1);
            }
        }

        @Override
        public void onFinished(RequestHandle r) {
            atFinish.put(r.id(), new double[] {view.scratch(r, 0), view.scratch(r, 1)});
        }
    }

    @Test
    void scratchValues_followEachRequestThroughSwapsPreemptionAndReadmission() {
        CountingPolicy policy = new CountingPolicy();
        Predictor underReserving = TestPredictors.constant(1); // reserves too little KV: decodes outgrow it and preempt
        long[] now = new long[1];
        Scheduler s = Equinox.builder().policy(policy).predictor(underReserving).ticker(() -> now[0]).kvCache(40, 4)
                .tokenBudget(64).maxRunning(8).chunkSize(16).build();
        Map<Long, Integer> steps = new HashMap<>(); // the test's own count of the steps each request was in
        Map<Long, Integer> target = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            RequestHandle h = s.submit(RequestSpec.of("t" + (i % 3), 6 + i % 7, 64)).orElseThrow();
            target.put(h.id(), 5 + (i * 7) % 23);
        }
        for (int step = 0; step < 5_000 && policy.atFinish.size() < 40; step++) {
            Batch b = s.nextBatch();
            // preemptions happen while the step is formed: a preempted request's count is the steps it took so far
            for (Map.Entry<Long, Double> e : policy.atPreemption.entrySet()) {
                assertEquals(steps.getOrDefault(e.getKey(), 0), e.getValue(), 0.0, "request " + e.getKey() + " at its preemption");
            }
            policy.atPreemption.clear();
            for (int i = 0; i < b.size(); i++) {
                long id = b.requestId(i);
                steps.merge(id, 1, Integer::sum);
                if (b.producesToken(i) && b.request(i).generatedTokens() + 1 >= target.get(id)) {
                    b.report(i, 1, FinishReason.STOP);
                }
            }
            now[0] += 1_000_000;
            s.complete(b, 1_000_000, Double.NaN);
        }
        assertEquals(40, policy.atFinish.size(), "every request finished");
        assertTrue(policy.preemptions > 0, "the KV cache was small enough to preempt");
        for (Map.Entry<Long, double[]> e : policy.atFinish.entrySet()) {
            long id = e.getKey();
            assertEquals(steps.get(id), e.getValue()[0], 0.0, "request " + id + ": steps counted in scratch 0");
            assertEquals(id + 0.5, e.getValue()[1], 0.0, "request " + id + ": scratch 1 stayed with it");
        }
        s.close();
    }
}

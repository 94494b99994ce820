package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Steady-state {@code nextBatch()} + {@code complete()} allocates nothing: decodes, chunked prefills, KV growth,
 * preemptions and re-admissions for FCFS, VTC and Equinox, measured with the thread's allocated-bytes counter.
 * (A request that finishes allocates its {@link RequestResult}, the value its future completes with: once per
 * request, not per step; the window below has no finishes.)
 */
class SchedulerAllocationTest {

    /** Under-predicts so that decodes outgrow their reservations and the KV cache keeps preempting. */
    private static Predictor one() {
        return new Predictor() {
            @Override
            public String name() {
                return "one";
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return Prediction.ofTokens(1);
            }
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"fcfs", "vtc", "equinox"})
    void nextBatchAndComplete_steadyState_allocateNothing(String policy) {
        Allocations alloc = Allocations.ofCurrentThread();

        for (int i = 0; i < 3; i++) { // JIT warm-up on throwaway schedulers: the same paths, compiled
            Scheduler w = scheduler(policy, new VirtualTicker());
            run(w, 1400);
        }
        Scheduler s = scheduler(policy, new VirtualTicker());
        run(s, 600); // the arrays reach their working size; the KV cache fills and preemptions start
        SchedulerStats before = s.stats();
        alloc.reset();
        run(s, 800);
        long allocated = alloc.bytes();
        SchedulerStats after = s.stats();

        assertTrue(after.finished() == 0 && after.cancelled() == 0, "the window was meant to have no finishes");
        assertTrue(after.preemptions() - before.preemptions() > 20, "the window was meant to preempt and re-admit: "
                + (after.preemptions() - before.preemptions()));
        assertTrue(after.generationTokens() - before.generationTokens() > 20_000, "the window was meant to decode");
        assertTrue(allocated < 1_024, policy + " allocated " + allocated + " bytes over 800 steps");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fcfs", "vtc", "equinox"})
    void nextBatchAndComplete_requestsFinishingAndAdmitted_allocateOnlyTheirResults(String policy) {
        Allocations alloc = Allocations.ofCurrentThread();
        for (int i = 0; i < 2; i++) {
            runToStop(shortRequests(policy), 1500);
        }
        Scheduler s = shortRequests(policy);
        runToStop(s, 300);
        SchedulerStats before = s.stats();
        alloc.reset();
        runToStop(s, 1000);
        long allocated = alloc.bytes();
        long finished = s.stats().finished() - before.finished();
        long admitted = s.stats().promptTokens() - before.promptTokens();
        assertTrue(finished > 1000 && admitted > 0, "the window was meant to finish and admit requests: " + finished);
        // a RequestResult is 11 fields (80 bytes measured on JDK 17 with compressed references): nothing else may allocate
        assertTrue(allocated <= finished * 96, policy + " allocated " + allocated + " bytes for " + finished
                + " finished requests (" + allocated / finished + " per request)");
    }

    /** Many short requests, all submitted up front: the window admits and finishes without submitting. */
    private static Scheduler shortRequests(String policy) {
        Scheduler s = Equinox.builder().policy(Policies.byName(policy)).ticker(new VirtualTicker()).tokenBudget(512)
                .maxRunning(128).chunkSize(64).kvCache(2048, 16).predictor(Predictors.oracle()).build();
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < 20_000; i++) {
            s.submit(RequestSpec.of("t" + i % 8, 8 + rnd.nextInt(56), 64).withExpectedOutputTokens(1 + rnd.nextInt(32)))
                    .orElseThrow();
        }
        return s;
    }

    private static void runToStop(Scheduler s, int steps) {
        VirtualTicker ticker = (VirtualTicker) ((DefaultScheduler) s).ticker;
        for (int i = 0; i < steps; i++) {
            Batch b = s.nextBatch();
            for (int k = 0, n = b.size(); k < n; k++) {
                if (b.producesToken(k)) {
                    RequestHandle r = b.request(k);
                    if (r.generatedTokens() + 1 >= r.spec().expectedOutputTokens()) {
                        b.report(k, 1, FinishReason.STOP);
                    }
                }
            }
            ticker.now += 20_000_000;
            s.complete(b, 20_000_000, Double.NaN);
        }
    }

    private static Scheduler scheduler(String policy, VirtualTicker ticker) {
        Scheduler s = Equinox.builder().policy(Policies.byName(policy)).ticker(ticker).tokenBudget(256).maxRunning(64)
                .chunkSize(64).kvCache(2400, 16).predictor(one()).build();
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            s.submit(RequestSpec.of("t" + i % 8, 64 + rnd.nextInt(128), 8000)).orElseThrow();
        }
        return s;
    }

    private static void run(Scheduler s, int steps) {
        VirtualTicker ticker = (VirtualTicker) ((DefaultScheduler) s).ticker;
        for (int i = 0; i < steps; i++) {
            Batch b = s.nextBatch();
            ticker.now += 20_000_000;
            s.complete(b, 20_000_000, Double.NaN);
        }
    }
}

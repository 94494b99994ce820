package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * KV memory in blocks: admission reserves prompt + predicted output (+ margin), not the maximum; a decode that
 * outgrows its reservation takes a free block, or the policy picks a victim whose KV is freed and which waits
 * at the front of its tenant's queue to be recomputed, keeping every token it produced.
 */
class KvAdmissionPreemptionTest {

    private static void step(Scheduler s) {
        s.complete(s.nextBatch(), 1, Double.NaN);
    }

    @Test
    void admission_reservesPromptPlusPredictionAndMargin_notTheMaximum() {
        Scheduler predicted = Equinox.builder().kvCache(1000, 16).kvMargin(0.1).predictor(TestPredictors.constant(10)).build();
        predicted.submit(RequestSpec.of("a", 100, 1000)).orElseThrow();
        predicted.nextBatch();
        assertEquals(7, predicted.stats().kvBlocksUsed(), "100 + 10 x 1.1 = 111 tokens = 7 blocks of 16");

        Scheduler maximum = Equinox.builder().kvCache(1000, 16).kvMargin(0.1).predictor(Predictors.maxTokens()).build();
        maximum.submit(RequestSpec.of("a", 100, 1000)).orElseThrow();
        maximum.nextBatch();
        assertEquals(69, maximum.stats().kvBlocksUsed(), "a max-tokens prediction reserves 1100 tokens = 69 blocks, capped there");
    }

    @Test
    void decode_outgrowsReservation_takesFreeBlocks() {
        Scheduler s = Equinox.builder().kvCache(100, 4).kvMargin(0).predictor(TestPredictors.constant(1)).build();
        RequestHandle h = s.submit(RequestSpec.of("a", 4, 40)).orElseThrow();
        step(s);
        assertEquals(2, s.stats().kvBlocksUsed(), "4 + 1 tokens");
        for (int i = 0; i < 8; i++) {
            step(s);
        }
        // 9 tokens generated (the prefill's and 8 decodes'); the 8th decode wrote KV position 12
        assertEquals(9, h.generatedTokens());
        assertEquals(3, s.stats().kvBlocksUsed(), "4 + 8 = 12 tokens of KV need 3 blocks of 4");
    }

    @Test
    void admission_headDoesNotFit_laterSmallRequestNotAdmittedAhead() {
        Scheduler s = Equinox.builder().kvCache(10, 10).predictor(Predictors.maxTokens()).build(); // 100 tokens
        RequestHandle running = s.submit(RequestSpec.of("a", 40, 10)).orElseThrow();
        step(s);
        RequestHandle big = s.submit(RequestSpec.of("b", 60, 10)).orElseThrow(); // 70 > the 50 left
        RequestHandle small = s.submit(RequestSpec.of("c", 5, 5)).orElseThrow();
        step(s);
        assertEquals(RequestStatus.QUEUED, big.status());
        assertEquals(RequestStatus.QUEUED, small.status(), "FCFS: the small one does not overtake the big head");
        for (int i = 0; i < 9; i++) {
            step(s);
        }
        assertEquals(RequestStatus.FINISHED, running.status());
        assertEquals(RequestStatus.RUNNING, big.status());
        assertEquals(RequestStatus.RUNNING, small.status());
    }

    @Test
    void kvExhausted_decodeNeedsBlock_latestAdmittedPreemptedRequeuedFirstAndRecomputedWithItsTokens() {
        // 6 blocks of 4 tokens; every admission reserves prompt + 1 token: decodes must grow into free blocks
        Scheduler s = Equinox.builder().policy(Policies.fcfs()).kvCache(6, 4).kvMargin(0).predictor(TestPredictors.constant(1))
                .maxRunning(2).tokenBudget(16).chunkSize(16).build();
        RequestHandle a = s.submit(RequestSpec.of("t", 4, 14)).orElseThrow();
        RequestHandle b = s.submit(RequestSpec.of("t", 4, 14)).orElseThrow();
        RequestHandle c = s.submit(RequestSpec.of("t", 4, 1)).orElseThrow(); // same tenant, arrived after b
        step(s);
        assertEquals(4, s.stats().kvBlocksUsed());
        int guard = 0;
        while (s.stats().preemptions() == 0) {
            assertTrue(guard++ < 20, "the KV cache was meant to run out");
            step(s);
        }
        // a and b each grew to 3 blocks (12 tokens); the next decode needs a 4th block and none is free
        assertEquals(RequestStatus.QUEUED, b.status(), "the latest admitted is FCFS's victim");
        assertEquals(1, b.preemptions());
        assertEquals(RequestStatus.RUNNING, a.status());
        assertEquals(0, a.preemptions());
        int kept = b.generatedTokens();
        assertTrue(kept >= 8, "tokens produced before the preemption are kept: " + kept);
        assertEquals(4, s.stats().kvBlocksUsed(), "b's 3 blocks were freed; a holds 4");
        assertEquals(1, s.stats().running());

        // a finishes; b comes back before c (front of its tenant's queue) and recomputes prompt + its tokens
        RequestHandle readmitted = null;
        int offset = -1;
        int count = -1;
        for (int i = 0; i < 40 && readmitted == null; i++) {
            Batch batch = s.nextBatch();
            for (int k = batch.decodeCount(); k < batch.size(); k++) {
                if (readmitted == null && (batch.requestId(k) == b.id() || batch.requestId(k) == c.id())) {
                    readmitted = batch.request(k);
                    offset = batch.tokenOffset(k);
                    count = batch.tokenCount(k);
                }
            }
            s.complete(batch, 1, Double.NaN);
        }
        assertEquals(b.id(), readmitted.id(), "b before c");
        assertEquals(0, offset);
        assertEquals(4 + kept, count, "the recompute covers the prompt and every token b produced");
        for (int i = 0; i < 40 && !(b.status().isTerminal() && c.status().isTerminal()); i++) {
            step(s);
        }
        assertEquals(14, a.completion().join().outputTokens());
        RequestResult rb = b.completion().join();
        assertEquals(14, rb.outputTokens(), "no token lost or produced twice across the preemption");
        assertEquals(1, rb.preemptions());
        assertEquals(RequestStatus.FINISHED, c.status());
        SchedulerStats st = s.stats();
        assertEquals(12, st.promptTokens(), "the recompute is not counted as prompt work again");
        assertEquals(29, st.generationTokens());
        assertEquals(0, st.kvBlocksUsed());
    }

    @Test
    void kvExhausted_needyIsLatestAdmitted_preemptsItself() {
        Scheduler s = Equinox.builder().kvCache(4, 4).kvMargin(0).predictor(TestPredictors.constant(1)).maxRunning(2).tokenBudget(16)
                .chunkSize(16).build();
        RequestHandle a = s.submit(RequestSpec.of("a", 3, 12)).orElseThrow(); // 1 block
        step(s);
        RequestHandle b = s.submit(RequestSpec.of("b", 7, 8)).orElseThrow(); // 2 blocks
        step(s);
        assertEquals(3, s.stats().kvBlocksUsed());
        int guard = 0;
        while (s.stats().preemptions() == 0) {
            assertTrue(guard++ < 20);
            step(s);
        }
        assertEquals(RequestStatus.QUEUED, b.status(), "b needed the block and was itself the latest admitted");
        assertEquals(RequestStatus.RUNNING, a.status());
        for (int i = 0; i < 60 && !(a.status().isTerminal() && b.status().isTerminal()); i++) {
            step(s);
        }
        assertEquals(12, a.completion().join().outputTokens());
        assertEquals(8, b.completion().join().outputTokens());
    }
}

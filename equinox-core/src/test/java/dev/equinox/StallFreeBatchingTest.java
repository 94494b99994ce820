package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Stall-free batching (Sarathi-Serve): every step continues all running decodes first, then fills what is left
 * of the token budget with prefill chunks; long prompts are split across steps, never beyond the chunk size.
 */
class StallFreeBatchingTest {

    private static Scheduler scheduler(int budget, int chunk, int maxRunning) {
        return Equinox.builder().tokenBudget(budget).chunkSize(chunk).maxRunning(maxRunning).kvCache(4096, 16)
                .adaptiveBatching(false, 1).build();
    }

    private static List<RequestHandle> decoding(Scheduler s, int n) {
        List<RequestHandle> hs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hs.add(s.submit(RequestSpec.of("d" + i, 1, 1000)).orElseThrow());
        }
        s.complete(s.nextBatch(), 1, Double.NaN); // their whole prompts in one step: all decode from now on
        for (RequestHandle h : hs) {
            assertEquals(1, h.generatedTokens());
        }
        return hs;
    }

    private static boolean decodes(Batch b, RequestHandle h) {
        for (int i = 0; i < b.decodeCount(); i++) {
            if (b.requestId(i) == h.id()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nextBatch_decodesAndBacklog_decodesFirstThenChunksFillTheBudgetExactly() {
        Scheduler s = scheduler(100, 32, 10);
        List<RequestHandle> dec = decoding(s, 3);
        for (int i = 0; i < 4; i++) {
            s.submit(RequestSpec.of("p" + i, 500, 10)).orElseThrow();
        }
        Batch b = s.nextBatch();
        assertEquals(3, b.decodeCount());
        for (int i = 0; i < 3; i++) {
            assertFalse(b.isPrefill(i));
            assertEquals(1, b.tokenCount(i));
        }
        for (RequestHandle h : dec) {
            assertTrue(decodes(b, h));
        }
        // 97 tokens left: chunks of 32, 32, 32 and the last token for a fourth prompt
        assertEquals(4, b.prefillCount());
        assertEquals(32, b.tokenCount(3));
        assertEquals(32, b.tokenCount(4));
        assertEquals(32, b.tokenCount(5));
        assertEquals(1, b.tokenCount(6));
        assertEquals(100, b.totalTokens());
        assertEquals(97, b.prefillTokens());
    }

    @Test
    void longPrompt_splitAcrossSteps_contiguousChunksWithinChunkSizeAndOneToken() {
        Scheduler s = scheduler(64, 24, 4);
        RequestHandle h = s.submit(RequestSpec.of("a", 100, 5)).orElseThrow();
        int offset = 0;
        int steps = 0;
        while (h.generatedTokens() == 0) {
            Batch b = s.nextBatch();
            assertEquals(1, b.size());
            assertTrue(b.isPrefill(0));
            assertEquals(offset, b.tokenOffset(0));
            assertEquals(Math.min(24, 100 - offset), b.tokenCount(0));
            assertEquals(offset + b.tokenCount(0) == 100, b.producesToken(0), "only the last chunk yields a token");
            offset += b.tokenCount(0);
            s.complete(b, 1, Double.NaN);
            steps++;
        }
        assertEquals(100, offset);
        assertEquals(5, steps, "24 + 24 + 24 + 24 + 4");
        Batch b = s.nextBatch();
        assertFalse(b.isPrefill(0));
        assertEquals(100, b.tokenOffset(0), "the first decode continues after the prompt");
    }

    @Test
    void hugePrompt_arrivesWhileDecoding_decodesNeverPausedAndPromptGetsTheRest() {
        Scheduler s = scheduler(40, 40, 16);
        List<RequestHandle> dec = decoding(s, 8);
        RequestHandle big = s.submit(RequestSpec.of("big", 2000, 4)).orElseThrow();
        int prefilled = 0;
        for (int step = 0; step < 30; step++) {
            Batch b = s.nextBatch();
            for (RequestHandle h : dec) {
                assertTrue(decodes(b, h), "decode of " + h + " paused in step " + b.stepId());
            }
            assertEquals(8, b.decodeCount());
            assertEquals(1, b.prefillCount());
            assertEquals(big.id(), b.requestId(8));
            assertEquals(32, b.tokenCount(8), "the prompt gets the budget the decodes leave");
            prefilled += b.tokenCount(8);
            s.complete(b, 1, Double.NaN);
        }
        assertEquals(30 * 32, prefilled);
        for (RequestHandle h : dec) {
            assertEquals(31, h.generatedTokens(), "one token per step for every decode");
        }
    }

    @Test
    void decodesTakeMostOfTheBudget_prefillGetsOnlyTheRemainder() {
        Scheduler s = scheduler(4, 4, 4);
        List<RequestHandle> dec = decoding(s, 3);
        RequestHandle prompt = s.submit(RequestSpec.of("w", 8, 1)).orElseThrow();
        int fed = 0;
        for (int step = 0; step < 4; step++) {
            if (step == 2) {
                dec.get(0).cancel(); // from now on two decodes leave two tokens per step
            }
            Batch b = s.nextBatch();
            int decodes = step < 2 ? 3 : 2;
            assertEquals(decodes, b.decodeCount());
            assertEquals(4 - decodes, b.prefillTokens(), "step " + step);
            fed += b.prefillTokens();
            s.complete(b, 1, Double.NaN);
        }
        assertEquals(1 + 1 + 2 + 2, fed);
        Batch b = s.nextBatch();
        assertEquals(2, b.decodeCount());
        assertEquals(2, b.prefillTokens());
        assertTrue(b.producesToken(2), "the last 2 of 8 prompt tokens");
        s.complete(b, 1, Double.NaN);
        assertEquals(RequestStatus.FINISHED, prompt.status());
    }

    @Test
    void promptsInPrefill_continueBeforeNewAdmissions() {
        Scheduler s = scheduler(32, 16, 8);
        RequestHandle first = s.submit(RequestSpec.of("a", 40, 5)).orElseThrow();
        RequestHandle second = s.submit(RequestSpec.of("b", 40, 5)).orElseThrow();
        Batch b = s.nextBatch();
        assertEquals(2, b.size());
        s.complete(b, 1, Double.NaN);
        RequestHandle third = s.submit(RequestSpec.of("c", 40, 5)).orElseThrow();
        b = s.nextBatch();
        assertEquals(first.id(), b.requestId(0));
        assertEquals(16, b.tokenOffset(0));
        assertEquals(second.id(), b.requestId(1));
        assertEquals(2, b.size(), "no room left for the newcomer");
        assertEquals(RequestStatus.QUEUED, third.status());
    }
}

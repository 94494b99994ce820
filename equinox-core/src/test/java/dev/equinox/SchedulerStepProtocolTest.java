package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine's side of the protocol: every misuse is a typed {@link InvalidStepException} with a clear message,
 * and leaves the scheduler as it was (the batch stays out and can still be completed correctly).
 */
class SchedulerStepProtocolTest {

    private static Scheduler withRequests(int n) {
        Scheduler s = Equinox.builder().chunkSize(8).tokenBudget(64).maxRunning(8).build();
        for (int i = 0; i < n; i++) {
            s.submit(RequestSpec.of("t" + i, 20, 10)).orElseThrow();
        }
        return s;
    }

    private static void assertMessage(Exception e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    /** The batch is still out and completes normally: the failed call changed nothing. */
    private static void assertStillCompletable(Scheduler s, Batch b) {
        long steps = s.stats().steps();
        s.complete(b, 1_000, 0.5);
        assertEquals(steps + 1, s.stats().steps());
    }

    @Test
    void reportById_unknownRequest_throwsNamingIdAndStep() {
        Scheduler s = withRequests(2);
        Batch b = s.nextBatch();
        InvalidStepException e = assertThrows(InvalidStepException.class, () -> b.reportById(999, 1, FinishReason.STOP));
        assertMessage(e, "999", "step " + b.stepId());
        assertStillCompletable(s, b);
    }

    @Test
    void report_sameRequestTwice_throws() {
        Scheduler s = withRequests(2);
        Batch b = s.nextBatch();
        b.report(0, 0, FinishReason.NONE);
        InvalidStepException e = assertThrows(InvalidStepException.class, () -> b.report(0, 0, FinishReason.ABORT));
        assertMessage(e, "reported twice", String.valueOf(b.requestId(0)));
        assertThrows(InvalidStepException.class, () -> b.reportById(b.requestId(0), 0, FinishReason.NONE));
        assertStillCompletable(s, b);
    }

    @Test
    void report_impossibleValues_throw() {
        Scheduler s = withRequests(1);
        Batch b = s.nextBatch(); // a chunk of 8 of a 20-token prompt: produces no token
        assertTrue(b.isPrefill(0) && !b.producesToken(0));
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 2, FinishReason.NONE)), "0 or 1", "2");
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, -1, FinishReason.NONE)), "-1");
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 0, null)), "null");
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 1, FinishReason.NONE)), "no token");
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 0, FinishReason.STOP)), "STOP");
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 0, FinishReason.LENGTH)), "LENGTH");
        assertThrows(IndexOutOfBoundsException.class, () -> b.report(1, 0, FinishReason.NONE));
        assertThrows(IndexOutOfBoundsException.class, () -> b.report(-1, 0, FinishReason.NONE));
        assertStillCompletable(s, b);
    }

    @Test
    void report_afterCompletion_throws() {
        Scheduler s = withRequests(1);
        Batch b = s.nextBatch();
        s.complete(b, 1, Double.NaN);
        assertMessage(assertThrows(InvalidStepException.class, () -> b.report(0, 0, FinishReason.NONE)), "not awaiting");
    }

    @Test
    void complete_twice_throwsAlreadyCompleted() {
        Scheduler s = withRequests(1);
        Batch b = s.nextBatch();
        s.complete(b, 1, Double.NaN);
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(b, 1, Double.NaN)), "already completed");
        assertMessage(assertThrows(InvalidStepException.class, () -> s.fail(b, new RuntimeException())), "already completed");
    }

    @Test
    void fail_thenComplete_throwsAlreadyFailed() {
        Scheduler s = withRequests(1);
        Batch b = s.nextBatch();
        s.fail(b, new RuntimeException("x"));
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(b, 1, Double.NaN)), "already completed or failed");
    }

    @Test
    void complete_emptyBatchNeverIssued_throws() {
        Scheduler s = withRequests(0);
        Batch b = s.nextBatch();
        assertTrue(b.isEmpty());
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(b, 1, Double.NaN)), "empty");
    }

    @Test
    void complete_batchOfAnotherScheduler_throwsNotIssued() {
        Scheduler s = withRequests(1);
        Scheduler other = withRequests(1);
        Batch mine = s.nextBatch();
        Batch theirs = other.nextBatch();
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(theirs, 1, Double.NaN)), "did not issue");
        assertThrows(InvalidStepException.class, () -> s.complete(null, 1, Double.NaN));
        assertThrows(InvalidStepException.class, () -> s.fail(theirs, new RuntimeException()));
        assertStillCompletable(s, mine);
        assertStillCompletable(other, theirs);
    }

    @Test
    void nextBatch_previousStillOut_throws() {
        Scheduler s = withRequests(1);
        Batch b = s.nextBatch();
        assertMessage(assertThrows(InvalidStepException.class, s::nextBatch), "step " + b.stepId(), "neither completed nor failed");
        assertStillCompletable(s, b);
    }

    @Test
    void complete_negativeDuration_throwsAndBatchStaysOut() {
        Scheduler s = withRequests(2);
        Batch b = s.nextBatch();
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(b, -1, Double.NaN)), "duration", "-1");
        assertEquals(0, s.stats().steps());
        assertStillCompletable(s, b);
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.01, 1.01, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void complete_utilizationOutsideUnitInterval_throwsAndBatchStaysOut(double u) {
        Scheduler s = withRequests(2);
        Batch b = s.nextBatch();
        assertMessage(assertThrows(InvalidStepException.class, () -> s.complete(b, 1, u)), "utilization", String.valueOf(u));
        assertStillCompletable(s, b);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 1, 0.5, Double.NaN})
    void complete_utilizationInRangeOrUnknown_accepted(double u) {
        Scheduler s = withRequests(1);
        s.complete(s.nextBatch(), 0, u);
        assertEquals(1, s.stats().steps());
    }

    @Test
    void complete_defaultsWithoutReports_lastChunkAndDecodesProduceOneToken() {
        Scheduler s = withRequests(1);
        RequestHandle h = null;
        for (int step = 0; step < 3; step++) { // 20-token prompt in chunks of 8, 8, 4
            Batch b = s.nextBatch();
            h = b.request(0);
            assertEquals(step == 2, b.producesToken(0));
            assertEquals(step == 2 ? 1 : 0, b.produced(0));
            s.complete(b, 1, Double.NaN);
        }
        assertEquals(1, h.generatedTokens());
        Batch b = s.nextBatch();
        assertTrue(!b.isPrefill(0) && b.producesToken(0));
        s.complete(b, 1, Double.NaN);
        assertEquals(2, h.generatedTokens());
    }

    @Test
    void report_zeroTokensOnDecode_noTokenCounted() {
        Scheduler s = withRequests(1);
        for (int step = 0; step < 3; step++) {
            s.complete(s.nextBatch(), 1, Double.NaN);
        }
        Batch b = s.nextBatch();
        RequestHandle h = b.request(0);
        b.report(0, 0, FinishReason.NONE);
        s.complete(b, 1, Double.NaN);
        assertEquals(1, h.generatedTokens());
        assertEquals(1, s.stats().generationTokens());
    }

    /**
     * A batch's decode entries name the scheduler's running requests by running index and copy the request
     * references only when asked; requests leave the running set during completion (finishes swap others into their
     * places), so a listener reading the batch in onStep, and the engine before completing, must still get each
     * entry's own request.
     */
    @Test
    void batchRequests_matchTheirIds_beforeCompletionAndInListenersAfterFinishes() {
        long[] now = new long[1];
        Scheduler s = Equinox.builder().ticker(() -> now[0]).chunkSize(8).tokenBudget(64).maxRunning(16).build();
        int[] checked = new int[1];
        s.addListener(new RequestListener() {
            @Override
            public void onStep(Batch b, long durationNanos, double gpuUtilization) {
                for (int i = 0; i < b.size(); i++) {
                    assertEquals(b.requestId(i), b.request(i).id(), "entry " + i + " of step " + b.stepId() + " in onStep");
                    checked[0]++;
                }
            }
        });
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int i = 0; i < 60; i++) {
            s.submit(RequestSpec.of("t" + (i % 4), 4 + rnd.nextInt(12), 50)).orElseThrow();
        }
        for (int step = 0; step < 5_000 && s.stats().finished() < 60; step++) {
            Batch b = s.nextBatch();
            for (int i = 0; i < b.size(); i++) {
                if (step % 2 == 0 && i % 2 == 0) { // every other step, entries looked up before completion (scattered)
                    int k = (i * 7) % b.size();
                    assertEquals(b.requestId(k), b.request(k).id(), "entry " + k + " before completion");
                }
                if (b.producesToken(i) && rnd.nextInt(15) == 0) {
                    b.report(i, 1, FinishReason.STOP);
                }
            }
            now[0] += 1_000_000;
            s.complete(b, 1_000_000, Double.NaN);
        }
        assertEquals(60, s.stats().finished());
        assertTrue(checked[0] > 300, "the listener checked " + checked[0] + " entries");
    }

    @Test
    void batchRequest_afterCompletion_isAClearErrorNotAnotherRequest() {
        long[] now = new long[1];
        Scheduler s = Equinox.builder().ticker(() -> now[0]).chunkSize(8).tokenBudget(64).maxRunning(8).build();
        for (int i = 0; i < 6; i++) {
            s.submit(RequestSpec.of("t" + i, 4, 20)).orElseThrow();
        }
        s.complete(s.nextBatch(), 1, Double.NaN); // prefills
        Batch b = s.nextBatch();
        assertTrue(b.decodeCount() > 0);
        b.report(0, 1, FinishReason.STOP); // a finish reshuffles the running set during completion
        s.complete(b, 1, Double.NaN);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.request(1));
        assertTrue(e.getMessage().contains("is over"), e.getMessage());
    }
}

package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/**
 * Where predictions run: cheap predictors on the engine thread while it drains submissions, blocking ones on
 * the prediction executor; a request whose prediction is not ready (or whose predictor threw) uses the
 * fallback, a throwing fallback means the maximum output.
 */
class PredictionPathTest {

    /** A predictor that records the threads it ran on and what it observed. */
    static final class Recording implements Predictor {
        final List<String> predictThreads = new CopyOnWriteArrayList<>();
        final List<Integer> observed = new CopyOnWriteArrayList<>();
        /** The scheduler's record of this predictor's own prediction for each observed request (0: none). */
        final List<Integer> observedPredicted = new CopyOnWriteArrayList<>();
        /** The same by prompt length (finishing order depends on lengths). */
        final java.util.Map<Integer, Integer> predictedByPrompt = new java.util.concurrent.ConcurrentHashMap<>();
        final boolean blocking;
        final ToIntFunction<RequestSpec> answer;

        Recording(boolean blocking, ToIntFunction<RequestSpec> answer) {
            this.blocking = blocking;
            this.answer = answer;
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public Prediction predict(RequestSpec request) {
            predictThreads.add(Thread.currentThread().getName());
            return Prediction.ofTokens(answer.applyAsInt(request));
        }

        @Override
        public void observe(RequestSpec request, int actualOutputTokens, int predictedOutputTokens) {
            observed.add(actualOutputTokens);
            observedPredicted.add(predictedOutputTokens);
            predictedByPrompt.put(request.promptTokens(), predictedOutputTokens);
        }

        @Override
        public boolean isBlocking() {
            return blocking;
        }
    }

    /** An executor that parks tasks until the test runs them. */
    static final class Parked implements Executor {
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            List<Runnable> copy = new ArrayList<>(tasks);
            tasks.clear();
            copy.forEach(Runnable::run);
        }
    }

    private static Predictor throwing(boolean blocking) {
        return new Predictor() {
            @Override
            public String name() {
                return "throwing";
            }

            @Override
            public Prediction predict(RequestSpec request) {
                throw new IllegalStateException("model unavailable");
            }

            @Override
            public boolean isBlocking() {
                return blocking;
            }
        };
    }

    @Test
    void cheapPredictor_submitFromOtherThread_predictsOnEngineThreadAtDrainOnce() throws Exception {
        Recording p = new Recording(false, spec -> 9);
        Scheduler s = Equinox.builder().predictor(p).maxRunning(1).tokenBudget(64).build();
        List<RequestHandle> hs = new CopyOnWriteArrayList<>();
        Thread submitter = new Thread(() -> {
            for (int i = 0; i < 3; i++) {
                hs.add(s.submit(RequestSpec.of("t", 4, 50)).orElseThrow());
            }
        }, "submitter");
        submitter.start();
        submitter.join();
        assertTrue(p.predictThreads.isEmpty(), "nothing predicted on the submitting thread");
        s.complete(s.nextBatch(), 1, Double.NaN); // drains all three, admits one (cap 1)
        assertEquals(3, p.predictThreads.size());
        for (String t : p.predictThreads) {
            assertEquals(Thread.currentThread().getName(), t);
        }
        for (RequestHandle h : hs) {
            assertEquals(9, h.predictedOutputTokens());
        }
        s.complete(s.nextBatch(), 1, Double.NaN);
        assertEquals(3, p.predictThreads.size(), "no prediction on the later steps");
    }

    @Test
    void blockingPredictor_defaultExecutor_runsOffSubmitterAndEngineThreads() throws Exception {
        Recording p = new Recording(true, spec -> 7);
        Scheduler s = Equinox.builder().predictor(p).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        // ownPrediction is 0 until the executor has stored the prediction (a prediction is at least 1)
        for (int i = 0; i < 3000 && ((Req) h).ownPrediction == 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(7, ((Req) h).ownPrediction, "the prediction executor answered within 30 s");
        assertEquals(List.of("equinox-predictor"), p.predictThreads);
        s.nextBatch();
        assertEquals(7, h.predictedOutputTokens());
        s.close();
    }

    @Test
    void blockingPredictor_notReadyAtAdmission_fallbackUsedForReservation() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().predictor(new Recording(true, spec -> 40)).predictionExecutor(ex)
                .fallbackPredictor(new Recording(false, spec -> 3)).kvCache(100, 1).kvMargin(0).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 10, 80)).orElseThrow();
        s.nextBatch();
        assertEquals(3, h.predictedOutputTokens());
        assertEquals(13, s.stats().kvBlocksUsed(), "prompt + the fallback's 3 tokens");
        assertEquals(1, ex.tasks.size());
    }

    /**
     * A prediction that arrives while its request heads the queue changes the head's predicted work, which a policy
     * may keep (Equinox keeps each head's work for its efficiency choice): the scheduler tells it. Here tenant a's
     * head looks small on the fallback, is selected, takes up its real (large) prediction, does not fit the KV cache
     * and blocks; the next step must see its new work and admit b's small head instead of selecting a again.
     */
    @Test
    void predictionArrivingForAQueueHead_isReportedAsAHeadChange_soEquinoxStopsChoosingItAsSmall() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().policy(Policies.equinox()).predictor(new Recording(true, spec -> spec.tenant().equals("a") ? 500 : 1))
                .predictionExecutor(ex).fallbackPredictor(new Recording(false, spec -> 1)).maxRunning(2).tokenBudget(512)
                .chunkSize(512).kvCache(700, 1).kvMargin(0).build();
        RequestHandle big = s.submit(RequestSpec.of("c1", 399, 200)).orElseThrow(); // holds 400 blocks, keeps running
        RequestHandle small = s.submit(RequestSpec.of("c2", 4, 200)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // both admitted on the fallback's 1 token
        RequestHandle a = s.submit(RequestSpec.of("a", 10, 600)).orElseThrow();
        RequestHandle b = s.submit(RequestSpec.of("b", 30, 10)).orElseThrow();
        Batch step = s.nextBatch(); // a and b drained on the fallback; the running set is full
        assertEquals(RequestStatus.QUEUED, a.status());
        ex.runAll(); // the model answers: a's head will take 500 tokens
        for (int i = 0; i < step.size(); i++) {
            if (step.requestId(i) == small.id()) {
                step.report(i, 1, FinishReason.STOP);
            }
        }
        s.complete(step, 1, Double.NaN);
        s.complete(s.nextBatch(), 1, Double.NaN); // a selected (work 11), takes up 500, needs 510 blocks: blocked
        assertEquals(RequestStatus.QUEUED, a.status());
        assertEquals(500, a.predictedOutputTokens());
        s.nextBatch();
        assertEquals(RequestStatus.RUNNING, b.status(), "b's head (31 tokens) is now the least work");
        assertEquals(RequestStatus.QUEUED, a.status());
        assertEquals(RequestStatus.RUNNING, big.status());
    }

    @Test
    void blockingPredictor_readyAfterDrainBeforeAdmission_itsValueIsUsed() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().predictor(new Recording(true, spec -> spec.promptTokens() == 5 ? 40 : 2))
                .predictionExecutor(ex).fallbackPredictor(new Recording(false, spec -> 3)).maxRunning(1).tokenBudget(64)
                .kvCache(200, 1).kvMargin(0).build();
        RequestHandle first = s.submit(RequestSpec.of("t", 4, 2)).orElseThrow();
        RequestHandle second = s.submit(RequestSpec.of("t", 5, 80)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // both drained with the fallback; first admitted
        assertEquals(3, second.predictedOutputTokens());
        ex.runAll(); // the model answers while second waits
        s.complete(s.nextBatch(), 1, Double.NaN); // first finishes (2 tokens)
        assertEquals(RequestStatus.FINISHED, first.status());
        s.nextBatch(); // second admitted now
        assertEquals(RequestStatus.RUNNING, second.status());
        assertEquals(40, second.predictedOutputTokens());
        assertEquals(45, s.stats().kvBlocksUsed(), "reserved on the model's prediction");
    }

    /**
     * A prediction that arrives while its request waits behind its tenant's head is taken up when the request
     * becomes the head, before the policy ranks it (not only once the policy has chosen the tenant).
     */
    @Test
    void blockingPredictor_arrivedWhileBehindTheHead_takenUpWhenItBecomesHead() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().predictor(new Recording(true, spec -> 40)).predictionExecutor(ex)
                .fallbackPredictor(new Recording(false, spec -> 3)).maxRunning(1).tokenBudget(64).chunkSize(64).build();
        RequestHandle first = s.submit(RequestSpec.of("a", 4, 100)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // first runs, holding the one slot
        RequestHandle second = s.submit(RequestSpec.of("a", 5, 100)).orElseThrow();
        RequestHandle third = s.submit(RequestSpec.of("a", 6, 100)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // drained on the fallback's 3; no room
        assertEquals(3, third.predictedOutputTokens());
        ex.tasks.get(2).run(); // third's prediction arrives while second heads the queue
        Batch b = s.nextBatch();
        b.reportById(first.id(), 1, FinishReason.STOP);
        s.complete(b, 1, Double.NaN);
        s.nextBatch(); // second is admitted: third becomes the head
        assertEquals(RequestStatus.RUNNING, second.status());
        assertEquals(40, third.predictedOutputTokens(), "the head carries its arrived prediction");
    }

    /** A prediction that arrives while its request heads its queue (and cannot run yet) is taken up at the next step. */
    @Test
    void blockingPredictor_arrivedWhileHead_takenUpAtTheNextStep() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().predictor(new Recording(true, spec -> 40)).predictionExecutor(ex)
                .fallbackPredictor(new Recording(false, spec -> 3)).maxRunning(1).tokenBudget(64).chunkSize(64).build();
        s.submit(RequestSpec.of("a", 4, 100)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // a's request runs, holding the one slot
        RequestHandle waiting = s.submit(RequestSpec.of("b", 5, 100)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // drained on the fallback's 3: b's head, no room
        assertEquals(3, waiting.predictedOutputTokens());
        ex.tasks.get(1).run(); // its prediction arrives
        s.complete(s.nextBatch(), 1, Double.NaN);
        assertEquals(RequestStatus.QUEUED, waiting.status());
        assertEquals(40, waiting.predictedOutputTokens(), "the head carries its arrived prediction while it waits");
    }

    @Test
    void cheapPredictorThrows_fallbackUsed() {
        Scheduler s = Equinox.builder().predictor(throwing(false)).fallbackPredictor(new Recording(false, spec -> 6)).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        s.nextBatch();
        assertEquals(6, h.predictedOutputTokens());
    }

    @Test
    void blockingPredictorThrows_fallbackUsed() {
        Parked ex = new Parked();
        Scheduler s = Equinox.builder().predictor(throwing(true)).predictionExecutor(ex)
                .fallbackPredictor(new Recording(false, spec -> 6)).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        ex.runAll(); // throws inside the task: swallowed, logged at debug
        s.nextBatch();
        assertEquals(6, h.predictedOutputTokens());
    }

    @Test
    void predictorAndFallbackThrow_maximumOutputUsed() {
        Scheduler s = Equinox.builder().predictor(throwing(false)).fallbackPredictor(throwing(false)).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        s.nextBatch();
        assertEquals(50, h.predictedOutputTokens());
    }

    @Test
    void executorRefuses_submitAcceptedAndFallbackUsed() {
        Executor refusing = r -> {
            throw new RejectedExecutionException("full");
        };
        Scheduler s = Equinox.builder().predictor(new Recording(true, spec -> 40)).predictionExecutor(refusing)
                .fallbackPredictor(new Recording(false, spec -> 5)).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        s.nextBatch();
        assertEquals(5, h.predictedOutputTokens());
    }

    @Test
    void predictions_aboveMaxOutput_clamped() {
        Scheduler s = Equinox.builder().predictor(new Recording(false, spec -> 100_000)).build();
        RequestHandle high = s.submit(RequestSpec.of("t", 2, 50)).orElseThrow();
        s.nextBatch();
        assertEquals(50, high.predictedOutputTokens());
    }

    @Test
    void predictorReturnsNull_fallbackUsed() {
        Predictor nullAnswer = new Predictor() {
            @Override
            public String name() {
                return "null";
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return null; // breaks the SPI contract: treated as a failure
            }
        };
        Scheduler s = Equinox.builder().predictor(nullAnswer).fallbackPredictor(new Recording(false, spec -> 6)).build();
        RequestHandle h = s.submit(RequestSpec.of("t", 2, 50)).orElseThrow();
        s.nextBatch();
        assertEquals(6, h.predictedOutputTokens());
    }

    @Test
    void observe_finishedRequests_actualLengthFedBackAbortsNot() {
        Recording p = new Recording(false, spec -> 2);
        Scheduler s = Equinox.builder().predictor(p).build();
        RequestHandle stop = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        RequestHandle aborted = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        RequestHandle length = s.submit(RequestSpec.of("t", 4, 3)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN);
        Batch b = s.nextBatch();
        b.reportById(stop.id(), 1, FinishReason.STOP);
        b.reportById(aborted.id(), 0, FinishReason.ABORT);
        s.complete(b, 1, Double.NaN);
        s.complete(s.nextBatch(), 1, Double.NaN);
        assertEquals(RequestStatus.FINISHED, length.status());
        assertEquals(List.of(2, 3), p.observed);
        assertEquals(List.of(2, 2), p.observedPredicted, "its own predictions handed back");
        assertNotEquals(RequestStatus.FINISHED, aborted.status());
    }

    private static void runToEnd(Scheduler s) {
        for (int i = 0; i < 1000 && s.stats().waiting() + s.stats().running() > 0; i++) {
            Batch b = s.nextBatch();
            if (!b.isEmpty()) {
                s.complete(b, 1, Double.NaN);
            }
        }
        assertEquals(0, s.stats().waiting() + s.stats().running());
    }

    @Test
    void observe_cheapPredictor_ownPredictionClampedOrZeroWhenItThrew() {
        Recording p = new Recording(false, spec -> {
            if (spec.promptTokens() == 5) {
                throw new IllegalStateException("no prediction for this one");
            }
            return spec.promptTokens() == 6 ? 1000 : 3;
        });
        Scheduler s = Equinox.builder().predictor(p).fallbackPredictor(new Recording(false, spec -> 9)).build();
        s.submit(RequestSpec.of("t", 4, 50).withExpectedOutputTokens(7)).orElseThrow();
        s.submit(RequestSpec.of("t", 5, 50)).orElseThrow(); // the fallback's 9 is used, and is not this predictor's
        s.submit(RequestSpec.of("t", 6, 20)).orElseThrow(); // 1000 clamped to the cap
        runToEnd(s);
        assertEquals(java.util.Map.of(4, 3, 5, 0, 6, 20), p.predictedByPrompt);
    }

    @Test
    void observe_blockingPredictor_itsPredictionEvenWhenItArrivedTooLate_zeroWhenItNeverCame() {
        Parked ex = new Parked();
        Recording p = new Recording(true, spec -> 40);
        Scheduler s = Equinox.builder().predictor(p).predictionExecutor(ex)
                .fallbackPredictor(new Recording(false, spec -> 3)).maxRunning(1).build();
        RequestHandle late = s.submit(RequestSpec.of("t", 10, 80)).orElseThrow();
        s.complete(s.nextBatch(), 1, Double.NaN); // admitted on the fallback's 3
        assertEquals(3, late.predictedOutputTokens());
        ex.runAll(); // its prediction arrives while it runs
        Parked never = ex;
        runToEnd(s);
        RequestHandle none = s.submit(RequestSpec.of("t", 10, 80)).orElseThrow();
        never.tasks.clear(); // this one's prediction task is dropped
        runToEnd(s);
        assertEquals(RequestStatus.FINISHED, none.status());
        assertEquals(List.of(40, 0), p.observedPredicted);
    }
}

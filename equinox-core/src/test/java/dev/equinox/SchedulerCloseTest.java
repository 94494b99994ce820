package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Scheduler#close()} from any thread: every future completes, the engine state is owned by one thread. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SchedulerCloseTest {

    private static Scheduler scheduler() {
        return Equinox.builder().tokenBudget(64).maxRunning(8).chunkSize(16).kvCache(64, 16).build();
    }

    private static void assertFailedByClose(RequestHandle h) {
        assertTrue(h.completion().isDone(), h + " not completed");
        assertEquals(RequestStatus.FAILED, h.status());
        CompletionException e = assertThrows(CompletionException.class, () -> h.completion().join());
        assertInstanceOf(EquinoxException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        assertTrue(h.finishedAtNanos() >= h.queuedAtNanos());
    }

    @Test
    void close_engineBetweenCalls_failsQueuedRunningBatchOutAndUndrainedAtOnce() throws Exception {
        Scheduler s = scheduler();
        List<RequestHandle> hs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            hs.add(s.submit(RequestSpec.of("t" + i % 3, 40, 20)).orElseThrow());
        }
        Batch out = s.nextBatch();
        while (out.decodeCount() == 0) { // run until a step has decodes and prefill chunks
            s.complete(out, 1, Double.NaN);
            out = s.nextBatch();
        }
        assertTrue(out.prefillCount() > 0);
        RequestHandle undrained = s.submit(RequestSpec.of("late", 10, 10)).orElseThrow();
        hs.add(undrained);
        assertTrue(s.stats().running() > 0 && s.stats().waiting() > 0);

        Thread closer = new Thread(s::close, "closer");
        closer.start();
        closer.join();

        for (RequestHandle h : hs) {
            assertFailedByClose(h);
        }
        SchedulerStats st = s.stats();
        assertEquals(hs.size(), st.failed());
        assertEquals(0, st.waiting());
        assertEquals(0, st.running());
        assertEquals(0, st.kvBlocksUsed());
        assertEquals(st.submitted(), st.finished() + st.cancelled() + st.failed());
        // the engine, still running the batch that was out, can read its entries' requests (now failed)
        for (int i = 0; i < out.size(); i++) {
            assertEquals(out.requestId(i), out.request(i).id(), "entry " + i + " of the batch that was out");
            assertEquals(RequestStatus.FAILED, out.request(i).status());
        }
        long stepsAtClose = st.steps();
        // the engine comes back with the batch it ran: ignored, and nothing runs any more
        s.complete(out, 1_000, Double.NaN);
        assertTrue(s.nextBatch().isEmpty());
        Batch again = s.nextBatch();
        s.fail(again, new RuntimeException("ignored"));
        assertEquals(stepsAtClose, s.stats().steps(), "no step counted after close");
        Submission late = s.submit(RequestSpec.of("t0", 1, 1));
        assertFalse(late.accepted());
        assertEquals(Rejection.SHUTDOWN, ((Submission.Rejected) late).reason());
        assertFalse(hs.get(0).cancel(), "a failed request cannot be cancelled");
        s.close(); // idempotent
        assertEquals(hs.size(), s.stats().failed());
    }

    @Test
    void close_whileEngineInsideNextBatch_returnsAtOnceAndEngineFailsEverythingOnReturn() throws Exception {
        Scheduler s = scheduler();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> terminalThread = new AtomicReference<>();
        s.addListener(new RequestListener() {
            @Override
            public void onAdmitted(RequestHandle r, long stepId) {
                if (inside.getCount() > 0) {
                    inside.countDown();
                    await(release);
                }
            }

            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                terminalThread.compareAndSet(null, Thread.currentThread().getName());
            }
        });
        List<RequestHandle> hs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            hs.add(s.submit(RequestSpec.of("t" + i % 2, 30, 30)).orElseThrow());
        }
        AtomicReference<Batch> got = new AtomicReference<>();
        Thread engine = new Thread(() -> got.set(s.nextBatch()), "engine");
        engine.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));

        s.close(); // the engine holds the state: close must neither block nor touch it
        for (RequestHandle h : hs) {
            assertFalse(h.completion().isDone(), "failed by the closing thread while the engine owned the state");
        }
        assertThrows(IllegalStateException.class, s::nextBatch, "a second thread inside the engine methods");
        release.countDown();
        engine.join();

        for (RequestHandle h : hs) {
            assertFailedByClose(h);
        }
        assertEquals("engine", terminalThread.get(), "the engine thread finished the close as its call returned");
        assertFalse(got.get().isEmpty(), "the call in progress completed normally");
        s.complete(got.get(), 1, Double.NaN); // ignored after close
        assertEquals(12, s.stats().failed());
        assertEquals(0, s.stats().steps());
    }

    @Test
    void close_concurrentSubmittersAndEngine_everyAcceptedFutureCompletesExactlyOnce() throws Exception {
        for (int round = 0; round < 12; round++) {
            Scheduler s = Equinox.builder().tokenBudget(256).maxRunning(64).chunkSize(32).kvCache(256, 4)
                    .maxContext(256).build();
            AtomicIntegerArray events = new AtomicIntegerArray(1 << 16);
            AtomicInteger inside = new AtomicInteger();
            AtomicBoolean overlapped = new AtomicBoolean();
            s.addListener(new RequestListener() {
                @Override
                public void onTerminal(RequestHandle r, RequestResult result) {
                    // listeners are not required to be thread-safe: two threads must never be in here at once
                    if (inside.incrementAndGet() > 1) {
                        overlapped.set(true);
                    }
                    events.incrementAndGet((int) r.id());
                    Thread.onSpinWait();
                    inside.decrementAndGet();
                }
            });
            ConcurrentLinkedQueue<RequestHandle> accepted = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger shutdownRejections = new AtomicInteger();
            AtomicReference<Throwable> error = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int thread = k;
                threads.add(new Thread(() -> {
                    int i = 0;
                    while (!stop.get() && i < 4_000) {
                        Submission sub = s.submit(RequestSpec.of("t" + (thread * 7 + i++) % 11, 1 + i % 7, 1 + i % 5));
                        if (sub.accepted()) {
                            RequestHandle h = sub.orElseThrow();
                            accepted.add(h);
                            if (i % 13 == 0) {
                                h.cancel();
                            }
                        } else if (((Submission.Rejected) sub).reason() == Rejection.SHUTDOWN) {
                            shutdownRejections.incrementAndGet();
                            return;
                        }
                    }
                }));
            }
            Thread engine = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Batch b = s.nextBatch();
                        if (!b.isEmpty()) {
                            for (int i = 0; i < b.size(); i++) {
                                if (b.producesToken(i) && (b.requestId(i) & 3) == 0) {
                                    b.report(i, 1, FinishReason.STOP);
                                }
                            }
                            s.complete(b, 1, Double.NaN);
                        }
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            });
            threads.forEach(Thread::start);
            engine.start();
            Thread.sleep(round % 5);
            s.close();
            for (Thread t : threads) {
                t.join();
            }
            stop.set(true);
            engine.join();
            assertNull(error.get());
            assertFalse(overlapped.get(), "round " + round + ": terminal events from two threads at once");
            for (RequestHandle h : accepted) {
                h.completion().handle((r, e) -> null).get(10, TimeUnit.SECONDS);
                assertTrue(h.status() == RequestStatus.FINISHED || h.status() == RequestStatus.CANCELLED
                        || h.status() == RequestStatus.FAILED, h.toString());
                assertEquals(1, events.get((int) h.id()), "terminal events of " + h);
            }
            SchedulerStats st = s.stats();
            assertEquals(accepted.size(), st.submitted());
            assertEquals(st.submitted(), st.finished() + st.cancelled() + st.failed(), st.toString());
            assertEquals(0, st.waiting());
            assertEquals(0, st.running());
        }
    }

    @Test
    void close_blockingPredictionInFlight_predictorClosedOnlyAfterItReturns() throws Exception {
        CountDownLatch predicting = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicInteger predictions = new AtomicInteger();
        AtomicBoolean inPredict = new AtomicBoolean();
        AtomicBoolean closedDuringPredict = new AtomicBoolean();
        CountDownLatch closedLatch = new CountDownLatch(1);
        Predictor slow = new Predictor() {
            @Override
            public String name() {
                return "slow";
            }

            @Override
            public boolean isBlocking() {
                return true;
            }

            @Override
            public Prediction predict(RequestSpec request) {
                inPredict.set(true);
                predictions.incrementAndGet();
                predicting.countDown();
                await(finish);
                inPredict.set(false);
                return Prediction.ofTokens(3);
            }

            @Override
            public void close() {
                closedDuringPredict.set(inPredict.get());
                closedLatch.countDown();
            }
        };
        Scheduler s = Equinox.builder().predictor(slow).build(); // the scheduler owns a single prediction thread
        RequestHandle a = s.submit(RequestSpec.of("t", 5, 5)).orElseThrow();
        RequestHandle b = s.submit(RequestSpec.of("t", 5, 5)).orElseThrow(); // queued behind a's prediction
        assertTrue(predicting.await(10, TimeUnit.SECONDS));
        s.close();
        assertFailedByClose(a);
        assertFailedByClose(b);
        assertEquals(1, closedLatch.getCount(), "predictor closed under a running prediction");
        finish.countDown();
        assertTrue(closedLatch.await(10, TimeUnit.SECONDS), "predictor closed once the prediction returned");
        assertFalse(closedDuringPredict.get());
        assertEquals(1, predictions.get(), "the prediction queued before close was skipped");
    }

    /**
     * close() while the engine thread is inside complete(), and a blocking prediction finishing meanwhile: the
     * predictor stays open until the engine's call returns (the engine may still call it), then closes once.
     */
    @Test
    void close_predictionEndsWhileEngineInsideACall_predictorClosedOnlyAfterTheCall() throws Exception {
        AtomicInteger closes = new AtomicInteger();
        PredictionPathTest.Parked ex = new PredictionPathTest.Parked();
        Predictor p = new Predictor() {
            @Override
            public String name() {
                return "native";
            }

            @Override
            public boolean isBlocking() {
                return true;
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return Prediction.ofTokens(4);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        Scheduler s = Equinox.builder().predictor(p).predictionExecutor(ex).build();
        s.submit(RequestSpec.of("t", 4, 8)).orElseThrow();
        s.submit(RequestSpec.of("t", 4, 8)).orElseThrow();
        ex.tasks.remove(1).run(); // one prediction ran; the other is still queued
        AtomicInteger closesDuringCall = new AtomicInteger(-1);
        s.addListener(new RequestListener() {
            @Override
            public void onStep(Batch batch, long durationNanos, double gpuUtilization) {
                if (closesDuringCall.get() >= 0) {
                    return;
                }
                Thread other = new Thread(() -> {
                    s.close();
                    ex.runAll(); // the last prediction in flight ends while the engine is still in complete()
                });
                other.start();
                try {
                    other.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                closesDuringCall.set(closes.get());
            }
        });
        s.complete(s.nextBatch(), 1, Double.NaN);
        assertEquals(0, closesDuringCall.get(), "closed under the engine's call");
        assertEquals(1, closes.get(), "closed once the call returned");
    }

    @Test
    void close_userExecutorNoPredictionRunning_predictorClosedAtOnce() {
        AtomicInteger closes = new AtomicInteger();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Predictor p = new Predictor() {
                @Override
                public String name() {
                    return "p";
                }

                @Override
                public boolean isBlocking() {
                    return true;
                }

                @Override
                public Prediction predict(RequestSpec request) {
                    return Prediction.ofTokens(1);
                }

                @Override
                public void close() {
                    closes.incrementAndGet();
                }
            };
            Scheduler s = Equinox.builder().predictor(p).predictionExecutor(ex).build();
            s.close();
            s.close();
            assertEquals(1, closes.get());
            assertFalse(ex.isShutdown(), "a user-supplied executor is the user's to shut down");
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void close_fallbackPredictor_closedOnceWithTheMainOne() {
        List<String> closed = new ArrayList<>();
        Scheduler s = Equinox.builder().predictor(closing("main", closed)).fallbackPredictor(closing("fallback", closed)).build();
        s.close();
        s.close();
        assertEquals(List.of("main", "fallback"), closed);
    }

    private static Predictor closing(String name, List<String> closed) {
        return new Predictor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return Prediction.ofTokens(1);
            }

            @Override
            public void close() {
                closed.add(name);
            }
        };
    }

    private static void await(CountDownLatch l) {
        try {
            if (!l.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("latch timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

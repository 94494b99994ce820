package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Concurrency stress: 8 submitting threads (random cancels, tenants created on the fly), the engine loop on its
 * own thread (random stops, aborts and failed steps), 1,000,000 accepted requests. Every request must reach
 * exactly one terminal state with its future completed, and the statistics must add up with what the callers
 * and the engine saw.
 */
class SchedulerStressTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 125_000;

    /** What one submitting thread saw. */
    private static final class Tally {
        long accepted;
        long rejected;
        long finished;
        long cancelled;
        long cancelCalls;
        long outputTokens;
        long preemptions;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void submitCancelStepFail_eightThreadsMillionRequests_everyRequestTerminalOnceAndStatsAddUp() throws Exception {
        Scheduler s = Equinox.builder().policy(Policies.fcfs()).tokenBudget(1024).maxRunning(512).chunkSize(64)
                .kvCache(2048, 1).maxContext(64).queueLimits(40_000, 10_000)
                .predictor(new Predictor() { // under-predicts: decodes outgrow their reservation and preempt
                    @Override
                    public String name() {
                        return "one";
                    }

                    @Override
                    public Prediction predict(RequestSpec request) {
                        return Prediction.ofTokens(1);
                    }
                }).build();
        int idCap = THREADS * PER_THREAD + 16;
        byte[] terminalEvents = new byte[idCap]; // written by the engine thread only (listener), read after join
        long[] listenerTokens = new long[1];
        s.addListener(new RequestListener() {
            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                terminalEvents[(int) r.id()]++;
                listenerTokens[0] += r.generatedTokens();
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch submittersDone = new CountDownLatch(THREADS);
        long[] engineCounts = new long[3]; // completed steps, failed steps, aborts reported
        Thread engine = new Thread(() -> runEngine(s, submittersDone, engineCounts, failure), "stress-engine");
        Tally[] tallies = new Tally[THREADS];
        List<Thread> submitters = new ArrayList<>();
        for (int k = 0; k < THREADS; k++) {
            Tally tally = new Tally();
            tallies[k] = tally;
            int thread = k;
            submitters.add(new Thread(() -> {
                try {
                    submit(s, thread, tally);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    submittersDone.countDown();
                }
            }, "stress-submitter-" + k));
        }
        engine.start();
        submitters.forEach(Thread::start);
        for (Thread t : submitters) {
            t.join();
        }
        engine.join();
        assertNull(failure.get(), () -> "a stress thread failed: " + failure.get());

        long accepted = 0;
        long rejected = 0;
        long finished = 0;
        long cancelled = 0;
        long tokens = 0;
        long preemptions = 0;
        for (Tally t : tallies) {
            accepted += t.accepted;
            rejected += t.rejected;
            finished += t.finished;
            cancelled += t.cancelled;
            tokens += t.outputTokens;
            preemptions += t.preemptions;
        }
        assertEquals((long) THREADS * PER_THREAD, accepted);
        for (int id = 0; id < accepted; id++) {
            if (terminalEvents[id] != 1) {
                fail("request " + id + " reached a terminal state " + terminalEvents[id] + " times");
            }
        }
        assertEquals(0, terminalEvents[(int) accepted], "no id beyond the accepted ones");
        SchedulerStats st = s.stats();
        assertEquals(accepted, st.submitted(), "submitted");
        assertEquals(rejected, st.rejected(), "rejected");
        assertEquals(finished, st.finished(), "finished");
        assertEquals(cancelled, st.cancelled(), "cancelled (caller cancels and engine aborts)");
        assertEquals(0, st.failed(), "failed");
        assertEquals(accepted, st.finished() + st.cancelled() + st.failed(), "every accepted request is terminal");
        assertEquals(0, st.waiting());
        assertEquals(0, st.running());
        assertEquals(0, st.kvBlocksUsed());
        assertEquals(tokens, st.generationTokens(), "output tokens in results vs stats");
        assertEquals(tokens, listenerTokens[0], "output tokens seen by the listener");
        assertEquals(preemptions, st.preemptions(), "preemptions in results vs stats");
        assertEquals(engineCounts[0], st.steps(), "completed steps");
        assertEquals(engineCounts[1], st.failedSteps(), "failed steps");
        assertTrue(engineCounts[1] > 100, "the engine was meant to fail steps: " + engineCounts[1]);
        assertTrue(engineCounts[2] > 100, "the engine was meant to abort requests: " + engineCounts[2]);
        assertTrue(cancelled > engineCounts[2], "callers were meant to cancel requests too");
        assertTrue(rejected > 0, "the queue limits were meant to push back on the submitters");
        assertTrue(st.preemptions() > 100, "the KV cache was meant to run out: " + st.preemptions());
        s.close();
        assertEquals(0, s.stats().failed(), "nothing left to fail at close");
    }

    private static void submit(Scheduler s, int thread, Tally tally) throws InterruptedException, ExecutionException {
        SplittableRandom rnd = new SplittableRandom(1000 + thread);
        RequestSpec[] specs = new RequestSpec[256];
        for (int i = 0; i < specs.length; i++) {
            specs[i] = RequestSpec.of("t" + (i % 32), 1 + rnd.nextInt(8), 1 + rnd.nextInt(32));
        }
        ArrayDeque<RequestHandle> pending = new ArrayDeque<>();
        int fresh = 0;
        while (tally.accepted < PER_THREAD) {
            // every 256th submission comes from a brand-new tenant: the engine must learn about it before queueing
            RequestSpec spec = (tally.accepted & 255) == 0
                    ? RequestSpec.of("fresh-" + thread + "-" + fresh++, 4, 2)
                    : specs[rnd.nextInt(specs.length)];
            Submission sub = s.submit(spec);
            if (!sub.accepted()) {
                Submission.Rejected r = (Submission.Rejected) sub;
                assertTrue(r.reason() == Rejection.QUEUE_FULL || r.reason() == Rejection.TENANT_QUEUE_FULL, r.toString());
                assertEquals(spec.tenant(), r.tenant());
                tally.rejected++;
                LockSupport.parkNanos(100_000); // back off: leave the cores to the engine while the queue is full
                continue;
            }
            tally.accepted++;
            RequestHandle h = sub.orElseThrow();
            pending.addLast(h);
            if (rnd.nextInt(16) == 0) {
                // cancel a recent request: it may be in the submission queue, waiting, running or in the batch out
                RequestHandle victim = rnd.nextBoolean() ? h : pending.peekFirst();
                if (victim.cancel()) {
                    tally.cancelCalls++;
                }
            }
            if (pending.size() > 4096) {
                collect(pending, tally, false);
            }
        }
        collect(pending, tally, true);
    }

    /** Checks and forgets finished handles from the oldest; with {@code all}, waits for every one. */
    private static void collect(ArrayDeque<RequestHandle> pending, Tally tally, boolean all)
            throws InterruptedException, ExecutionException {
        while (!pending.isEmpty()) {
            RequestHandle h = pending.peekFirst();
            if (!h.completion().isDone()) {
                if (!all) {
                    return;
                }
                try {
                    h.completion().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail(h + " never completed");
                }
            }
            pending.pollFirst();
            RequestResult r = h.completion().get();
            assertEquals(h.id(), r.requestId());
            assertEquals(h.status(), r.status(), "handle and future agree");
            assertTrue(h.finishedAtNanos() >= h.queuedAtNanos());
            if (r.status() == RequestStatus.FINISHED) {
                tally.finished++;
                assertTrue(r.outputTokens() >= 1 && r.outputTokens() <= h.spec().maxOutputTokens(), r.toString());
                assertTrue(r.firstTokenAtNanos() >= r.firstScheduledAtNanos() && r.firstScheduledAtNanos() >= r.queuedAtNanos());
            } else {
                assertEquals(RequestStatus.CANCELLED, r.status(), r.toString());
                assertEquals(FinishReason.ABORT, r.finishReason());
                tally.cancelled++;
            }
            tally.outputTokens += r.outputTokens();
            tally.preemptions += r.preemptions();
        }
    }

    private static void runEngine(Scheduler s, CountDownLatch submittersDone, long[] counts, AtomicReference<Throwable> failure) {
        SplittableRandom rnd = new SplittableRandom(7);
        RuntimeException stepFailure = new RuntimeException("injected step failure");
        try {
            while (true) {
                Batch b = s.nextBatch();
                if (b.isEmpty()) {
                    if (submittersDone.getCount() == 0) {
                        SchedulerStats st = s.stats();
                        if (st.waiting() == 0 && st.running() == 0) {
                            return;
                        }
                    }
                    Thread.yield();
                    continue;
                }
                if (rnd.nextInt(32) == 0) {
                    s.fail(b, stepFailure);
                    counts[1]++;
                    continue;
                }
                for (int i = 0, n = b.size(); i < n; i++) {
                    int dice = rnd.nextInt(256);
                    if (dice == 0) {
                        b.report(i, 0, FinishReason.ABORT);
                        counts[2]++;
                    } else if (b.producesToken(i) && dice < 16) {
                        b.report(i, 1, FinishReason.STOP);
                    }
                }
                s.complete(b, 1_000, Double.NaN);
                counts[0]++;
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
            // keep the submitters from waiting forever on futures
            s.close();
        }
    }
}

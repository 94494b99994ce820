package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestHandle#generatedTokens()} is live: while a request runs, its count lives only in the scheduler's
 * running arrays (its own field is written back when it stops running), and the running index it is read by moves
 * whenever another request leaves the running set. The count must still be exact on the engine thread after every
 * step, and never another request's count on any other thread.
 */
class LiveGeneratedCountTest {

    private static Scheduler smallCache(long[] now, int blocks) {
        // under-reserving predictions and a small KV cache: decodes outgrow their blocks and preempt, so requests
        // leave and re-enter the running set (and move in it) all the time
        return Equinox.builder().policy(Policies.fcfs()).predictor(TestPredictors.constant(1)).ticker(() -> now[0])
                .kvCache(blocks, 4).tokenBudget(64).maxRunning(12).chunkSize(16).build();
    }

    @Test
    void engineThread_seesEachRequestsExactCountAfterEveryStep_throughSwapsAndPreemption() {
        long[] now = new long[1];
        Scheduler s = smallCache(now, 60);
        SplittableRandom rnd = new SplittableRandom(7);
        List<RequestHandle> handles = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            handles.add(s.submit(RequestSpec.of("t" + (i % 5), 4 + rnd.nextInt(20), 40)).orElseThrow());
        }
        int[] expected = new int[handles.size()]; // the test's own count of tokens produced, by request id
        int steps = 0;
        while (s.stats().finished() < handles.size() && steps++ < 20_000) {
            Batch b = s.nextBatch();
            for (int i = 0; i < b.size(); i++) {
                if (b.producesToken(i) && rnd.nextInt(25) == 0) {
                    b.report(i, 1, FinishReason.STOP);
                }
            }
            for (int i = 0; i < b.size(); i++) {
                if (b.producesToken(i)) {
                    expected[(int) b.requestId(i)] += b.produced(i);
                }
            }
            now[0] += 1_000_000;
            s.complete(b, 1_000_000, Double.NaN);
            for (RequestHandle h : handles) {
                assertEquals(expected[(int) h.id()], h.generatedTokens(), h + " after step " + b.stepId());
            }
        }
        assertEquals(handles.size(), s.stats().finished(), "every request finished");
        assertTrue(s.stats().preemptions() > 0, "the cache was small enough to preempt");
        for (RequestHandle h : handles) {
            assertEquals(expected[(int) h.id()], h.completion().join().outputTokens(), h + "'s result");
        }
        s.close();
    }

    @Test
    void otherThreads_neverReadAnotherRequestsCount() throws Exception {
        long[] now = new long[1];
        Scheduler s = smallCache(now, 200);
        // short requests (at most 3 tokens) run beside long ones (up to 300): a short request's read that landed on
        // a long one's running slot would show more than its cap, or jump back when it lands on its own again
        int n = 400;
        RequestHandle[] handles = new RequestHandle[n];
        for (int i = 0; i < n; i++) {
            handles[i] = s.submit(RequestSpec.of("t" + (i % 7), 4 + i % 9, i % 2 == 0 ? 3 : 300)).orElseThrow();
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        int[][] maxSeen = new int[2][n];
        long[] readsBy = new long[2]; // each reader's count, read after join
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(2);
        List<Thread> readers = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            int[] seen = maxSeen[k];
            int reader = k;
            Thread t = new Thread(() -> {
                long reads = 0;
                while (!done.get() && failure.get() == null) {
                    for (int i = 0; i < n; i++) {
                        int g = handles[i].generatedTokens();
                        int cap = handles[i].spec().maxOutputTokens();
                        if (g < seen[i] || g > cap) {
                            failure.compareAndSet(null, "request " + i + " read " + g + " after " + seen[i] + " (cap " + cap + ")");
                        }
                        seen[i] = Math.max(seen[i], g);
                        reads++;
                    }
                    if (reads == n) {
                        reading.countDown(); // each reader once, after its first pass over the handles
                    }
                }
                readsBy[reader] = reads;
            }, "reader-" + k);
            t.start();
            readers.add(t);
        }
        SplittableRandom rnd = new SplittableRandom(11);
        try {
            // the engine starts once both readers have read every handle once, so that they run beside it
            assertTrue(reading.await(30, java.util.concurrent.TimeUnit.SECONDS), "the readers started");
            for (int step = 0; step < 200_000 && s.stats().finished() < n && failure.get() == null; step++) {
                Batch b = s.nextBatch();
                for (int i = 0; i < b.size(); i++) {
                    if (b.producesToken(i) && rnd.nextInt(60) == 0) {
                        b.report(i, 1, FinishReason.STOP);
                    }
                }
                now[0] += 1_000_000;
                s.complete(b, 1_000_000, Double.NaN);
            }
        } finally {
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
        }
        assertEquals(null, failure.get());
        assertTrue(readsBy[0] > 0 && readsBy[1] > 0, "both readers read: " + readsBy[0] + ", " + readsBy[1]);
        assertEquals(n, s.stats().finished(), "every request finished");
        assertTrue(s.stats().preemptions() > 0, "the cache was small enough to preempt");
        for (int i = 0; i < n; i++) {
            int last = handles[i].completion().join().outputTokens();
            for (int[] seen : maxSeen) {
                assertTrue(seen[i] <= last, "request " + i + ": a reader saw " + seen[i] + " > its final " + last);
            }
        }
        s.close();
    }
}

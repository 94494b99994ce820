package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Submission, handles, typed rejections and cancellation, from the caller's side. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SchedulerSubmitTest {

    private static Submission.Rejected rejected(Submission s) {
        assertFalse(s.accepted(), "expected a rejection, got " + s);
        return (Submission.Rejected) s;
    }

    private static void runStep(Scheduler s) {
        Batch b = s.nextBatch();
        if (!b.isEmpty()) {
            s.complete(b, 1, Double.NaN);
        }
    }

    @Test
    void submit_accepted_handleQueuedWithTimestampsUnsetAndFuturePending() {
        VirtualTicker t = new VirtualTicker();
        t.now = 42;
        Scheduler s = Equinox.builder().ticker(t).build();
        RequestSpec spec = RequestSpec.of("a", 10, 20);
        Submission sub = s.submit(spec);
        assertTrue(sub.accepted());
        RequestHandle h = sub.orElseThrow();
        assertEquals(RequestStatus.QUEUED, h.status());
        assertEquals("a", h.tenant());
        assertEquals(spec, h.spec());
        assertEquals(42, h.queuedAtNanos());
        assertEquals(-1, h.firstScheduledAtNanos());
        assertEquals(-1, h.firstTokenAtNanos());
        assertEquals(-1, h.finishedAtNanos());
        assertEquals(0, h.generatedTokens());
        assertFalse(h.completion().isDone());
        assertEquals(1, s.stats().submitted());
        assertEquals(1, s.stats().waiting(), "counted as waiting before the engine drains it");
    }

    @Test
    void submit_manyRequests_idsUniqueAndIncreasing() {
        Scheduler s = Equinox.builder().build();
        long last = -1;
        for (int i = 0; i < 100; i++) {
            long id = s.submit(RequestSpec.of("t" + i % 4, 1, 1)).orElseThrow().id();
            assertTrue(id > last);
            last = id;
        }
    }

    @Test
    void handle_lifecycle_statusTimestampsAndResultAgree() {
        VirtualTicker t = new VirtualTicker();
        Scheduler s = Equinox.builder().ticker(t).chunkSize(8).tokenBudget(64).maxRunning(8).build();
        t.now = 1_000;
        RequestHandle h = s.submit(RequestSpec.of("a", 12, 3)).orElseThrow();
        t.now = 2_000;
        Batch b = s.nextBatch(); // first chunk: 8 of 12 prompt tokens
        assertEquals(RequestStatus.RUNNING, h.status());
        assertEquals(2_000, h.firstScheduledAtNanos());
        t.now = 3_000;
        s.complete(b, 1_000, Double.NaN);
        assertEquals(-1, h.firstTokenAtNanos(), "no token before the prompt is done");
        b = s.nextBatch(); // last 4 prompt tokens: the first output token
        t.now = 4_000;
        s.complete(b, 1_000, Double.NaN);
        assertEquals(4_000, h.firstTokenAtNanos());
        assertEquals(1, h.generatedTokens());
        b = s.nextBatch();
        t.now = 5_000;
        s.complete(b, 1_000, Double.NaN);
        assertFalse(h.completion().isDone());
        b = s.nextBatch();
        t.now = 6_000;
        s.complete(b, 1_000, Double.NaN); // third token: the length limit
        assertEquals(RequestStatus.FINISHED, h.status());
        RequestResult r = h.completion().join();
        assertEquals(new RequestResult(h.id(), "a", RequestStatus.FINISHED, FinishReason.LENGTH, 12, 3, 0, 1_000, 2_000, 4_000,
                6_000), r);
        assertEquals(3e-6, r.ttftSeconds(), 1e-15);
        assertEquals(5e-6, r.e2eSeconds(), 1e-15);
        assertEquals(6_000, h.finishedAtNanos());
        SchedulerStats st = s.stats();
        assertEquals(1, st.finished());
        assertEquals(12, st.promptTokens());
        assertEquals(3, st.generationTokens());
        assertEquals(4, st.steps());
    }

    // ------------------------------------------------------------------ typed rejections

    @Test
    void submit_nullSpec_rejectedAsInvalidNeverThrown() {
        Scheduler s = Equinox.builder().build();
        Submission.Rejected r = rejected(s.submit(null));
        assertEquals(Rejection.INVALID_REQUEST, r.reason());
        assertNull(r.tenant());
        assertEquals(1, s.stats().rejected());
        assertEquals(0, s.stats().submitted());
    }

    @Test
    void requestSpec_invalidFields_throwNamingFieldAndValue() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of(null, 1, 1)), "tenant", "null");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("  ", 1, 1)), "tenant", "'  '");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", 0, 1)), "promptTokens", "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", -4, 1)), "promptTokens", "-4");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", 1, 0)), "maxOutputTokens", "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", 1, -1)), "maxOutputTokens", "-1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", 3, 1).withPromptTokenIds(new int[2])),
                "promptTokenIds", "2");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> RequestSpec.of("a", 3, 1).withExpectedOutputTokens(0)),
                "expectedOutputTokens", "0");
    }

    private static void assertMessage(Exception e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void submit_queueFullTotalAndPerTenant_rejectedNamingTenantAndReason() {
        Scheduler s = Equinox.builder().queueLimits(4, 2).build();
        s.submit(RequestSpec.of("a", 1, 1)).orElseThrow();
        s.submit(RequestSpec.of("a", 1, 1)).orElseThrow();
        Submission.Rejected perTenant = rejected(s.submit(RequestSpec.of("a", 1, 1)));
        assertEquals(Rejection.TENANT_QUEUE_FULL, perTenant.reason());
        assertEquals("a", perTenant.tenant());
        RejectedException e = assertThrows(RejectedException.class, perTenant::orElseThrow);
        assertEquals("a", e.tenant());
        assertEquals(Rejection.TENANT_QUEUE_FULL, e.reason());
        assertMessage(e, "'a'", "TENANT_QUEUE_FULL");
        s.submit(RequestSpec.of("b", 1, 1)).orElseThrow();
        s.submit(RequestSpec.of("c", 1, 1)).orElseThrow();
        Submission.Rejected total = rejected(s.submit(RequestSpec.of("d", 1, 1)));
        assertEquals(Rejection.QUEUE_FULL, total.reason());
        assertEquals("d", total.tenant());
        assertEquals(2, s.stats().rejected());
        assertEquals(4, s.stats().waiting());
    }

    @Test
    void submit_waitingLimit_releasedOnAdmissionAndCancel() {
        Scheduler s = Equinox.builder().queueLimits(3, 2).maxRunning(1).tokenBudget(16).chunkSize(16).build();
        RequestHandle a = s.submit(RequestSpec.of("a", 4, 100)).orElseThrow();
        RequestHandle b = s.submit(RequestSpec.of("a", 4, 100)).orElseThrow();
        assertEquals(Rejection.TENANT_QUEUE_FULL, rejected(s.submit(RequestSpec.of("a", 4, 100))).reason());
        runStep(s); // a admitted: one waiting slot free
        assertEquals(RequestStatus.RUNNING, a.status());
        RequestHandle c = s.submit(RequestSpec.of("a", 4, 100)).orElseThrow();
        assertTrue(b.cancel());
        runStep(s); // the cancel frees b's slot
        assertEquals(RequestStatus.CANCELLED, b.status());
        assertTrue(s.submit(RequestSpec.of("a", 4, 100)).accepted());
        assertEquals(RequestStatus.QUEUED, c.status());
    }

    @Test
    void submit_unknownTenantWhenRegistrationRequired_rejected() {
        Scheduler s = Equinox.builder().requireRegisteredTenants(true).build();
        Submission.Rejected r = rejected(s.submit(RequestSpec.of("who", 1, 1)));
        assertEquals(Rejection.UNKNOWN_TENANT, r.reason());
        assertEquals("who", r.tenant());
    }

    @Test
    void submit_newTenantBeyondMaxTenants_rejectedWhileKnownTenantsKeepRunning() {
        Scheduler s = Equinox.builder().maxTenants(2).build();
        s.registerTenant("a", 2.0);
        RequestHandle b = s.submit(RequestSpec.of("b", 4, 1)).orElseThrow();
        Submission.Rejected r = rejected(s.submit(RequestSpec.of("c", 4, 1)));
        assertEquals(Rejection.TENANT_LIMIT, r.reason());
        assertEquals("c", r.tenant());
        assertMessage(new RejectedException(r.tenant(), r.reason(), r.message()), "limit of 2 tenants");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.registerTenant("d", 1.0));
        assertMessage(e, "'d'", "2", "maxTenants");
        s.registerTenant("a", 3.0); // a known tenant's weight can still change
        RequestHandle a = s.submit(RequestSpec.of("a", 4, 1)).orElseThrow();
        runStep(s);
        assertEquals(RequestStatus.FINISHED, a.status());
        assertEquals(RequestStatus.FINISHED, b.status());
        assertNull(s.tenantStats("c"), "a refused tenant is not created");
        assertNull(s.tenantStats("d"));
        assertEquals(Rejection.TENANT_LIMIT, rejected(s.submit(RequestSpec.of("c", 4, 1))).reason(), "the limit holds after work ends");
    }

    @Test
    void submit_newTenantRefusedForAFullQueue_leavesNoTenantBehind() {
        Scheduler s = Equinox.builder().maxTenants(2).queueLimits(1, 1).maxRunning(1).tokenBudget(16).chunkSize(16).build();
        RequestHandle a = s.submit(RequestSpec.of("a", 4, 1)).orElseThrow();
        for (int i = 0; i < 5; i++) {
            assertEquals(Rejection.QUEUE_FULL, rejected(s.submit(RequestSpec.of("user-" + i, 4, 1))).reason());
            assertNull(s.tenantStats("user-" + i), "a refused submission created its tenant");
        }
        runStep(s); // a runs: the queue has room again
        assertEquals(RequestStatus.FINISHED, a.status());
        assertTrue(s.submit(RequestSpec.of("user-0", 4, 1)).accepted(), "the refusals used up no tenant slot");
    }

    @Test
    void listenerThrowsOnTerminal_requestStillCompletes() {
        Scheduler s = Equinox.builder().build();
        s.addListener(new RequestListener() {
            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                throw new IllegalStateException("a listener that breaks its contract");
            }
        });
        RequestHandle h = s.submit(RequestSpec.of("a", 4, 1)).orElseThrow();
        runStep(s);
        assertEquals(RequestStatus.FINISHED, h.status());
        assertTrue(h.completion().isDone(), "the future completes whatever the listener does");
        RequestHandle queued = s.submit(RequestSpec.of("a", 4, 1)).orElseThrow();
        s.close();
        assertTrue(queued.completion().isCompletedExceptionally(), "failed by close despite the listener");
    }

    @Test
    void submit_exceedsContext_rejectedWithTheNumbers() {
        Scheduler s = Equinox.builder().maxContext(1000).build();
        Submission.Rejected r = rejected(s.submit(RequestSpec.of("a", 600, 401)));
        assertEquals(Rejection.EXCEEDS_CONTEXT, r.reason());
        assertMessage(new RejectedException(r.tenant(), r.reason(), r.message()), "600", "401", "1001", "1000");
    }

    @Test
    void submit_promptThatCanNeverFitKv_rejected() {
        Scheduler s = Equinox.builder().kvCache(8, 16).build(); // 128 tokens, context 128
        Submission.Rejected r = rejected(s.submit(RequestSpec.of("a", 128, 1)));
        assertEquals(Rejection.EXCEEDS_KV_CAPACITY, r.reason());
        assertMessage(new RejectedException(r.tenant(), r.reason(), r.message()), "128", "8 blocks", "16 tokens");
        assertTrue(s.submit(RequestSpec.of("a", 127, 1)).accepted(), "127 prompt + 1 output token fit exactly");
    }

    @Test
    void submit_vtcReferenceModeNeverAdmittable_rejected() {
        Scheduler s = Equinox.builder().kvCache(625, 16).maxContext(10_000).batchingMode(BatchingMode.VTC_REFERENCE)
                .build(); // 10,000 tokens
        // the artifact admits only if prompt + max output < capacity (strict)
        assertEquals(Rejection.EXCEEDS_KV_CAPACITY, rejected(s.submit(RequestSpec.of("a", 3000, 7000))).reason());
        // and only prompts within its prefill budget max(10000 / 6, 3072) = 3072
        assertEquals(Rejection.EXCEEDS_CONTEXT, rejected(s.submit(RequestSpec.of("a", 3073, 10))).reason());
        RequestHandle ok = s.submit(RequestSpec.of("a", 3072, 6927)).orElseThrow(); // 9999 < 10000
        Batch b = s.nextBatch();
        assertEquals(1, b.size(), "admissible alone");
        assertEquals(ok.id(), b.requestId(0));
    }

    @Test
    void submit_closedScheduler_rejectedAsShutdown() {
        Scheduler s = Equinox.builder().build();
        s.close();
        Submission.Rejected r = rejected(s.submit(RequestSpec.of("a", 1, 1)));
        assertEquals(Rejection.SHUTDOWN, r.reason());
        assertEquals("a", r.tenant());
    }

    @Test
    void submit_engineHeldInsideNextBatch_eightThreadsNeverBlock() throws Exception {
        Scheduler s = Equinox.builder().build();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        s.addListener(new RequestListener() {
            @Override
            public void onAdmitted(RequestHandle r, long stepId) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        s.submit(RequestSpec.of("first", 1, 1)).orElseThrow();
        Thread engine = new Thread(s::nextBatch);
        engine.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        ConcurrentLinkedQueue<RequestHandle> handles = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int k = 0; k < 8; k++) {
            int thread = k;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 1000; i++) {
                        RequestHandle h = s.submit(RequestSpec.of("t" + thread, 1, 1)).orElseThrow();
                        handles.add(h);
                        if (i % 10 == 0) {
                            assertTrue(h.cancel());
                        }
                    }
                    s.registerTenant("t" + thread, 2);
                    s.stats();
                } catch (Throwable e) {
                    error.set(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(10_000);
            assertFalse(th.isAlive(), "a submitting thread blocked while the engine was busy");
        }
        assertNull(error.get());
        assertEquals(8001, s.stats().submitted());
        release.countDown();
        engine.join();
    }

    // ------------------------------------------------------------------ cancellation

    @Test
    void cancel_beforeDrain_neverAdmittedAndCancelled() {
        Scheduler s = Equinox.builder().build();
        RequestHandle h = s.submit(RequestSpec.of("a", 5, 5)).orElseThrow();
        assertTrue(h.cancel());
        assertFalse(h.cancel(), "one cancel per request");
        Batch b = s.nextBatch();
        assertTrue(b.isEmpty());
        assertEquals(RequestStatus.CANCELLED, h.status());
        RequestResult r = h.completion().join();
        assertEquals(FinishReason.ABORT, r.finishReason());
        assertEquals(-1, r.firstScheduledAtNanos());
        assertEquals(0, s.stats().waiting());
        assertEquals(1, s.stats().cancelled());
    }

    @Test
    void cancel_queued_removedFromItsTenantQueueOthersKeepOrder() {
        Scheduler s = Equinox.builder().maxRunning(1).tokenBudget(8).chunkSize(8).build();
        RequestHandle a = s.submit(RequestSpec.of("t", 2, 50)).orElseThrow();
        runStep(s);
        RequestHandle b = s.submit(RequestSpec.of("t", 2, 1)).orElseThrow();
        RequestHandle c = s.submit(RequestSpec.of("t", 2, 1)).orElseThrow();
        RequestHandle d = s.submit(RequestSpec.of("t", 2, 1)).orElseThrow();
        runStep(s);
        assertTrue(c.cancel());
        runStep(s);
        assertEquals(RequestStatus.CANCELLED, c.status());
        assertTrue(a.cancel()); // running: frees its slot and KV
        runStep(s);
        assertEquals(RequestStatus.CANCELLED, a.status());
        assertEquals(RequestStatus.FINISHED, b.status(), "b is next after a");
        runStep(s);
        assertEquals(RequestStatus.FINISHED, d.status());
        assertEquals(0, s.stats().kvBlocksUsed());
        assertEquals(2, s.stats().cancelled());
    }

    @Test
    void cancel_running_freesKvAndTheRunningSlot() {
        Scheduler s = Equinox.builder().build();
        RequestHandle h = s.submit(RequestSpec.of("a", 100, 100)).orElseThrow();
        runStep(s);
        runStep(s);
        assertTrue(s.stats().kvBlocksUsed() > 0);
        int generated = h.generatedTokens();
        assertTrue(h.cancel());
        assertTrue(s.nextBatch().isEmpty());
        assertEquals(RequestStatus.CANCELLED, h.status());
        assertEquals(generated, h.completion().join().outputTokens(), "produced tokens are reported");
        assertEquals(0, s.stats().kvBlocksUsed());
        assertEquals(0, s.stats().running());
    }

    @Test
    void cancel_duringPrefillChunks_removedFromPrefill() {
        Scheduler s = Equinox.builder().chunkSize(16).tokenBudget(32).maxRunning(4).build();
        RequestHandle h = s.submit(RequestSpec.of("a", 100, 10)).orElseThrow();
        RequestHandle other = s.submit(RequestSpec.of("b", 10, 3)).orElseThrow();
        runStep(s);
        assertTrue(h.cancel());
        Batch b = s.nextBatch();
        for (int i = 0; i < b.size(); i++) {
            assertEquals(other.id(), b.requestId(i), "only the other request runs");
        }
        assertEquals(RequestStatus.CANCELLED, h.status());
    }

    @Test
    void cancel_requestInTheBatchOut_appliedAfterThatStep() {
        Scheduler s = Equinox.builder().build();
        RequestHandle h = s.submit(RequestSpec.of("a", 5, 50)).orElseThrow();
        Batch b = s.nextBatch();
        assertTrue(h.cancel(), "from another thread, while the engine runs the step");
        assertEquals(RequestStatus.RUNNING, h.status(), "the step out is not changed under the engine");
        s.complete(b, 1, Double.NaN);
        assertEquals(1, h.generatedTokens());
        assertTrue(s.nextBatch().isEmpty());
        assertEquals(RequestStatus.CANCELLED, h.status());
        assertEquals(1, h.completion().join().outputTokens());
    }

    @Test
    void cancel_requestFinishingInTheBatchOut_staysFinished() {
        Scheduler s = Equinox.builder().build();
        RequestHandle h = s.submit(RequestSpec.of("a", 5, 50)).orElseThrow();
        Batch b = s.nextBatch();
        assertTrue(h.cancel());
        b.report(0, 1, FinishReason.STOP);
        s.complete(b, 1, Double.NaN);
        assertEquals(RequestStatus.FINISHED, h.status());
        assertTrue(s.nextBatch().isEmpty());
        assertEquals(RequestStatus.FINISHED, h.status(), "the late cancel does nothing");
        assertEquals(1, s.stats().finished());
        assertEquals(0, s.stats().cancelled());
        assertFalse(h.cancel(), "a terminal request cannot be cancelled");
    }

    @Test
    void cancel_requestPutBackByFailedStep_removedFromQueue() {
        Scheduler s = Equinox.builder().build();
        RequestHandle h = s.submit(RequestSpec.of("a", 5, 50)).orElseThrow();
        runStep(s);
        Batch b = s.nextBatch();
        assertTrue(h.cancel());
        s.fail(b, new RuntimeException("gpu"));
        assertEquals(RequestStatus.QUEUED, h.status());
        assertTrue(s.nextBatch().isEmpty(), "the cancel is applied before admission");
        assertEquals(RequestStatus.CANCELLED, h.status());
        assertEquals(1, h.completion().join().outputTokens());
        assertEquals(0, s.stats().waiting());
    }

    @Test
    void engineAbort_reported_requestCancelled() {
        Scheduler s = Equinox.builder().chunkSize(4).build();
        RequestHandle h = s.submit(RequestSpec.of("a", 10, 50)).orElseThrow();
        Batch b = s.nextBatch();
        b.report(0, 0, FinishReason.ABORT); // a chunk that does not end the prompt may be aborted
        s.complete(b, 1, Double.NaN);
        assertEquals(RequestStatus.CANCELLED, h.status());
        assertEquals(FinishReason.ABORT, h.completion().join().finishReason());
        assertEquals(0, s.stats().kvBlocksUsed());
    }

    @Test
    void terminal_everyRequest_exactlyOneListenerEvent() {
        Scheduler s = Equinox.builder().maxRunning(2).tokenBudget(16).chunkSize(16).build();
        Set<Long> seen = new HashSet<>();
        List<Long> dup = new ArrayList<>();
        s.addListener(new RequestListener() {
            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                if (!seen.add(r.id())) {
                    dup.add(r.id());
                }
            }
        });
        List<RequestHandle> hs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            hs.add(s.submit(RequestSpec.of("t" + i % 3, 3, 4)).orElseThrow());
        }
        hs.get(0).cancel();
        hs.get(5).cancel();
        for (int i = 0; i < 200 && s.stats().finished() + s.stats().cancelled() < 20; i++) {
            runStep(s);
        }
        assertFalse(hs.get(7).cancel(), "a finished request cannot be cancelled");
        runStep(s); // a cancel wrongly queued would emit its second event here
        assertEquals(20, seen.size());
        assertTrue(dup.isEmpty(), "duplicates: " + dup);
    }
}

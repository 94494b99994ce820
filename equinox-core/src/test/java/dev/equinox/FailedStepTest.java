package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Scheduler#fail}: the step's requests lose their KV and go back to their tenants' queues in arrival
 * order; tokens produced before stay counted, nothing of the failed step is charged or counted, and the
 * re-admission charges nothing twice.
 */
class FailedStepTest {

    private static void step(Scheduler s) {
        s.complete(s.nextBatch(), 1, Double.NaN);
    }

    @Test
    void fail_decodingRequests_requeuedKvFreedTokensKeptNothingCharged() {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).build();
        RequestHandle a = s.submit(RequestSpec.of("a", 10, 6)).orElseThrow();
        RequestHandle b = s.submit(RequestSpec.of("b", 20, 6)).orElseThrow();
        step(s); // prefill: VTC charges the prompts at admission
        step(s); // one decode each: w_q = 2
        assertEquals(10 + 2, s.tenantStats("a").counter(), 1e-9);
        assertEquals(20 + 2, s.tenantStats("b").counter(), 1e-9);
        SchedulerStats before = s.stats();

        Batch out = s.nextBatch();
        assertEquals(2, out.decodeCount());
        s.fail(out, new RuntimeException("CUDA error"));

        assertEquals(RequestStatus.QUEUED, a.status());
        assertEquals(RequestStatus.QUEUED, b.status());
        assertEquals(2, a.generatedTokens(), "tokens of completed steps are kept, the failed step made none");
        SchedulerStats after = s.stats();
        assertEquals(0, after.kvBlocksUsed());
        assertEquals(0, after.running());
        assertEquals(2, after.waiting());
        assertEquals(before.steps(), after.steps());
        assertEquals(1, after.failedSteps());
        assertEquals(before.generationTokens(), after.generationTokens());
        assertEquals(0, after.preemptions(), "a failed step is not a preemption");
        assertEquals(12, s.tenantStats("a").counter(), 1e-9, "the failed step is charged to nobody");
        assertEquals(22, s.tenantStats("b").counter(), 1e-9);

        Batch again = s.nextBatch(); // re-admitted: prompt + produced tokens recomputed from the start
        assertEquals(0, again.decodeCount());
        assertEquals(2, again.prefillCount());
        assertEquals(0, again.tokenOffset(0));
        assertEquals(10 + 2, again.tokenCount(0));
        assertEquals(20 + 2, again.tokenCount(1));
        s.complete(again, 1, Double.NaN);
        // the prompt is not charged again; the recompute's new token (the third) is output and costs w_q like a decode
        assertEquals(12 + 2, s.tenantStats("a").counter(), 1e-9, "re-admission does not charge the prompt again");
        assertEquals(3, a.generatedTokens(), "the recompute yields the next token");
        for (int i = 0; i < 10; i++) {
            Batch x = s.nextBatch();
            if (x.isEmpty()) {
                break;
            }
            s.complete(x, 1, Double.NaN);
        }
        RequestResult ra = a.completion().join();
        assertEquals(6, ra.outputTokens());
        assertEquals(0, ra.preemptions());
        SchedulerStats end = s.stats();
        assertEquals(30, end.promptTokens(), "prompts counted once");
        assertEquals(12, end.generationTokens());
        assertEquals(2, end.finished());
    }

    @Test
    void fail_requestsOfOneTenant_requeuedInArrivalOrderAheadOfLaterOnes() {
        Scheduler s = Equinox.builder().maxRunning(3).tokenBudget(64).chunkSize(64).build();
        List<RequestHandle> hs = List.of(
                s.submit(RequestSpec.of("t", 4, 50)).orElseThrow(),
                s.submit(RequestSpec.of("t", 4, 50)).orElseThrow(),
                s.submit(RequestSpec.of("t", 4, 50)).orElseThrow());
        step(s);
        hs.get(0).cancel(); // a cancel moves the last running request into the freed slot: running order != arrival
        step(s);
        RequestHandle d = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        RequestHandle e = s.submit(RequestSpec.of("t", 4, 50)).orElseThrow();
        step(s); // d admitted (cap 3), e waits
        assertEquals(RequestStatus.QUEUED, e.status());
        Batch out = s.nextBatch();
        s.fail(out, new RuntimeException("x"));
        Batch again = s.nextBatch();
        assertEquals(3, again.size());
        assertEquals(hs.get(1).id(), again.requestId(0));
        assertEquals(hs.get(2).id(), again.requestId(1));
        assertEquals(d.id(), again.requestId(2));
        assertEquals(RequestStatus.QUEUED, e.status(), "the later arrival stays behind the put-back requests");
    }

    @Test
    void fail_midPrefill_restartsTheChunkedPrefillFromZero() {
        Scheduler s = Equinox.builder().chunkSize(16).tokenBudget(16).maxRunning(4).build();
        RequestHandle h = s.submit(RequestSpec.of("a", 40, 5)).orElseThrow();
        step(s);
        Batch out = s.nextBatch();
        assertEquals(16, out.tokenOffset(0));
        s.fail(out, new RuntimeException("x"));
        Batch again = s.nextBatch();
        assertEquals(0, again.tokenOffset(0));
        assertEquals(16, again.tokenCount(0));
        s.complete(again, 1, Double.NaN);
        for (int i = 0; i < 10 && !h.status().isTerminal(); i++) {
            step(s);
        }
        assertEquals(5, h.completion().join().outputTokens());
        assertEquals(40, s.stats().promptTokens());
        assertTrue(s.stats().kvBlocksUsed() == 0);
    }
}

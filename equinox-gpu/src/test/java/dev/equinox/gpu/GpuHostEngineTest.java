package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Equinox;
import dev.equinox.FinishReason;
import dev.equinox.Policies;
import dev.equinox.RequestStatus;
import dev.equinox.Scheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host loop end to end: real scheduler, CPU reference model, paged KV with the scheduler's geometry. */
class GpuHostEngineTest {
    private static final LlamaConfig C = LlamaConfig.tiny();

    private static List<BenchRequest> workload() {
        List<BenchRequest> list = new ArrayList<>();
        String[] tenants = {"a", "b", "a", "c", "b", "a"};
        for (int i = 0; i < tenants.length; i++) {
            list.add(new BenchRequest(0, tenants[i], 5 + 7 * i, 3 + i));
        }
        return list;
    }

    private static void assertMatchesSolo(GpuHostEngine.Report report) {
        for (GpuHostEngine.Outcome o : report.outcomes()) {
            assertEquals(RequestStatus.FINISHED, o.status(), "request " + o.requestId());
            assertEquals(FinishReason.STOP, o.finishReason());
            int[] prompt = GpuExecutor.syntheticPrompt(o.requestId(), o.promptTokens(), C.vocab());
            assertArrayEquals(GpuExecutorTest.solo(prompt, o.outputTokens()), o.tokenIds(),
                    "request " + o.requestId() + " (" + o.preemptions() + " preemptions)");
        }
    }

    @Test
    void run_fcfsWithChunkedPrefill_finishesEveryRequestWithSoloTokens() {
        int blocks = 64;
        int bs = 4;
        try (Scheduler s = Equinox.builder().kvCache(blocks, bs).tokenBudget(24).maxRunning(8).chunkSize(8)
                .policy(Policies.fcfs()).build();
                GpuExecutor ex = GpuExecutor.cpuReference(C, blocks, bs)) {
            GpuHostEngine.Report r = new GpuHostEngine(s, ex).run(workload(), 60);
            assertEquals(6, r.submitted());
            assertEquals(6, r.finished());
            assertEquals(0, r.failedSteps());
            long expectedOut = workload().stream().mapToInt(BenchRequest::outputTokens).sum();
            assertEquals(expectedOut, r.outputTokens());
            assertEquals(3 + 5 + 8, r.outputTokensByTenant().get("a"));
            assertTrue(r.steps() > 10, "prompts of up to 40 tokens at chunk 8 need several steps");
            assertEquals("cpu-reference", r.backend());
            assertMatchesSolo(r);
            assertEquals(0, ex.usedKvBlocks(), "every block is returned at the end");
        }
    }

    @Test
    void run_kvCacheUnderPressure_preemptsAndStillProducesSoloTokens() {
        int blocks = 14;
        int bs = 4;
        try (Scheduler s = Equinox.builder().kvCache(blocks, bs).tokenBudget(32).maxRunning(6).chunkSize(16)
                .policy(Policies.vtc()).build();
                GpuExecutor ex = GpuExecutor.cpuReference(C, blocks, bs)) {
            List<BenchRequest> w = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                w.add(new BenchRequest(0, i % 2 == 0 ? "x" : "y", 10, 12));
            }
            GpuHostEngine.Report r = new GpuHostEngine(s, ex, 1).run(w, 60);
            assertEquals(5, r.finished());
            assertMatchesSolo(r);
            assertEquals(0, ex.usedKvBlocks());
            int preemptions = r.outcomes().stream().mapToInt(GpuHostEngine.Outcome::preemptions).sum();
            assertTrue(preemptions > 0, "14 blocks of 4 cannot hold five 22-token requests: the scheduler must preempt");
        }
    }
}

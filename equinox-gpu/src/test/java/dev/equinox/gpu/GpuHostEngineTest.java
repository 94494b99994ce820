package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** The CPU reference, but every forward throws ({@code fail}) or sleeps first ({@code sleepMillis}). */
    private static GpuExecutor executor(int blocks, int bs, boolean fail, long sleepMillis) {
        CpuReference cpu = new CpuReference(C, blocks, bs);
        ModelRunner runner = new ModelRunner() {
            @Override
            public void forward(StepPlan plan, int[] sampled) {
                if (fail) {
                    throw new IllegalStateException("injected");
                }
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                cpu.forward(plan, sampled);
            }

            @Override
            public long lastDeviceNanos() {
                return cpu.lastDeviceNanos();
            }

            @Override
            public String describe() {
                return "test";
            }

            @Override
            public void close() {
                cpu.close();
            }
        };
        return new GpuExecutor(C, runner, blocks, bs, null);
    }

    @Test
    void run_hugeOrInfiniteTimeLimit_doesNotOverflowIntoAnImmediateStop() {
        for (double limit : new double[] {1e10, 1e300, Double.POSITIVE_INFINITY}) {
            try (Scheduler s = Equinox.builder().kvCache(64, 4).tokenBudget(24).maxRunning(8).chunkSize(8).policy(Policies.fcfs()).build();
                    GpuExecutor ex = GpuExecutor.cpuReference(C, 64, 4)) {
                GpuHostEngine.Report r = new GpuHostEngine(s, ex).run(workload(), limit);
                assertEquals(6, r.finished(), "limit " + limit);
                assertTrue(r.steps() > 0);
            }
        }
    }

    @Test
    void run_nanOrNonPositiveTimeLimit_isRefused() {
        try (Scheduler s = Equinox.builder().kvCache(64, 4).tokenBudget(24).maxRunning(8).chunkSize(8).policy(Policies.fcfs()).build();
                GpuExecutor ex = GpuExecutor.cpuReference(C, 64, 4)) {
            GpuHostEngine e = new GpuHostEngine(s, ex);
            for (double limit : new double[] {Double.NaN, 0, -1, Double.NEGATIVE_INFINITY}) {
                IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.run(workload(), limit));
                assertTrue(x.getMessage().contains("maxWallSeconds"), x.getMessage());
            }
        }
    }

    @Test
    void run_consecutiveFailures_abortWithPartialReportAndReleaseExecutorState() {
        try (Scheduler s = Equinox.builder().kvCache(64, 4).tokenBudget(24).maxRunning(8).chunkSize(8).policy(Policies.fcfs()).build();
                GpuExecutor ex = executor(64, 4, true, 0)) {
            GpuHostEngine.AbortedException x = assertThrows(GpuHostEngine.AbortedException.class,
                    () -> new GpuHostEngine(s, ex).run(workload(), 60));
            assertTrue(x.getMessage().contains("3 consecutive steps failed"), x.getMessage());
            GpuHostEngine.Report r = x.report();
            assertEquals(6, r.submitted());
            assertEquals(0, r.finished());
            assertEquals(3, r.failedSteps());
            assertEquals(6, r.outcomes().size());
            assertEquals(0, ex.usedKvBlocks());
            assertEquals(0, ex.kv().liveSequences(), "the executor forgets the unfinished requests");
        }
    }

    @Test
    void run_deadline_cancelsUnfinishedRequestsAndReleasesTheirSequences() {
        try (Scheduler s = Equinox.builder().kvCache(64, 4).tokenBudget(24).maxRunning(8).chunkSize(8).policy(Policies.fcfs()).build();
                GpuExecutor ex = executor(64, 4, false, 20)) {
            List<BenchRequest> w = List.of(new BenchRequest(0, "a", 6, 40), new BenchRequest(0, "b", 6, 40));
            GpuHostEngine.Report r = new GpuHostEngine(s, ex, 1).run(w, 0.15); // 40 steps of >= 20 ms cannot finish
            assertEquals(2, r.submitted());
            assertEquals(0, r.finished());
            assertTrue(r.steps() > 0);
            assertTrue(r.outcomes().stream().allMatch(o -> o.tokenIds().length > 0), "the partial report shows what was generated");
            assertEquals(0, ex.usedKvBlocks());
            assertEquals(0, ex.kv().liveSequences());
        }
    }
}

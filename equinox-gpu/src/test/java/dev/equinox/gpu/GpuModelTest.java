package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole decoder on the GPU against {@link CpuReference}: same weights, same paged steps, logits within fp16
 * tolerance. GPU only; NOT YET RUN (no GPU was available when written).
 */
@Tag("gpu")
class GpuModelTest {

    @Test
    void forward_mixedPrefillAndDecodeSteps_logitsMatchCpuReference() {
        GpuTestSupport.assumeGpu();
        LlamaConfig c = LlamaConfig.tiny();
        int blocks = 64;
        int bs = 4;
        try (GpuModel gpu = new GpuModel(c, blocks, bs, 128, 16, 256)) {
            CpuReference cpu = new CpuReference(c, blocks, bs);
            // the block manager is shared: both backends see the same slots and block tables
            KvBlockManager kv = new KvBlockManager(blocks, bs);
            int[] pa = GpuExecutor.syntheticPrompt(1, 11, c.vocab());
            int[] pb = GpuExecutor.syntheticPrompt(2, 23, c.vocab());
            kv.getOrCreate(1, () -> pa);
            kv.getOrCreate(2, () -> pb);
            StepPlan plan = new StepPlan();
            FakeStep[] steps = {
                new FakeStep().prefill(1, 0, 11, true).prefill(2, 0, 9, false),
                new FakeStep().decode(1, 11).prefill(2, 9, 14, true),
                new FakeStep().decode(1, 12).decode(2, 23),
                new FakeStep().decode(1, 13).decode(2, 24),
            };
            double worst = 0;
            for (FakeStep step : steps) {
                plan.pack(step, kv);
                int[] sampledGpu = new int[plan.samples];
                gpu.forward(plan, sampledGpu);
                float[][] g = gpu.lastLogits(plan.samples);
                float[][] r = cpu.logits(plan);
                for (int row = 0; row < plan.samples; row++) {
                    for (int v = 0; v < c.vocab(); v++) {
                        double err = Math.abs(g[row][v] - r[row][v]) / (1 + Math.abs(r[row][v]));
                        worst = Math.max(worst, err);
                    }
                    int cpuTok = CpuReference.argmax(r[row]);
                    assertEquals(cpuTok, sampledGpu[row], "greedy token, row " + row);
                    plan.sequences[plan.sampleEntries[row]].append(cpuTok);
                }
                plan.clear();
            }
            assertTrue(worst < 2e-2, "max relative logit error " + worst);
            assertTrue(gpu.lastDeviceNanos() > 0);
        }
    }

    @Test
    void hostEngine_onGpu_finishesEveryRequest() {
        GpuTestSupport.assumeGpu();
        try (dev.equinox.Scheduler s = dev.equinox.Equinox.builder().kvCache(256, 16).tokenBudget(256).maxRunning(16).chunkSize(64).build();
                GpuExecutor ex = GpuExecutor.open(LlamaConfig.tiny(), 256, 16, 256, 16, 1024, NvmlTelemetry.open(0))) {
            GpuHostEngine.Report r = new GpuHostEngine(s, ex).run(ServeBenchCommand.workload(20, 2, 0, 100, 20, 1), 120);
            assertEquals(20, r.finished());
            assertTrue(r.deviceSeconds() > 0);
            assertEquals(0, ex.usedKvBlocks());
        }
    }
}

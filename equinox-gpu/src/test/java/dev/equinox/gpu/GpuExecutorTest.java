package dev.equinox.gpu;

import dev.equinox.spi.GpuTelemetry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The executor on the CPU reference backend: batching, chunking, paging and preemption change nothing. */
class GpuExecutorTest {
    private static final LlamaConfig C = LlamaConfig.tiny();

    /** Greedy generation of one request alone: whole prompt, then one decode per token. */
    static int[] solo(int[] prompt, int outputs) {
        GpuExecutor ex = GpuExecutor.cpuReference(C, 64, 4);
        ex.kv().getOrCreate(1, () -> prompt);
        ex.run(new ScriptedStep().prefill(1, 0, prompt.length, true));
        for (int k = 1; k < outputs; k++) {
            ex.run(new ScriptedStep().decode(1, prompt.length + k - 1));
        }
        return ex.generatedTokenIds(1);
    }

    @Test
    void run_interleavedChunksAndDecodes_generateSameTokensAsAlone() {
        int[] pa = GpuExecutor.syntheticPrompt(10, 7, C.vocab());
        int[] pb = GpuExecutor.syntheticPrompt(11, 12, C.vocab());
        GpuExecutor ex = GpuExecutor.cpuReference(C, 64, 4);
        ex.kv().getOrCreate(10, () -> pa);
        ex.kv().getOrCreate(11, () -> pb);
        // step 1: a's whole prompt + b's first chunk; step 2: a decodes, b's second chunk; steps 3-5: both decode
        StepResult r1 = ex.run(new ScriptedStep().prefill(10, 0, 7, true).prefill(11, 0, 5, false));
        assertEquals(12, r1.tokens());
        assertEquals(1, r1.sampled());
        assertTrue(ex.sampledToken(0) >= 0);
        assertEquals(-1, ex.sampledToken(1), "a non-final chunk samples nothing");
        ex.run(new ScriptedStep().decode(10, 7).prefill(11, 5, 7, true));
        for (int k = 0; k < 3; k++) {
            ex.run(new ScriptedStep().decode(10, 8 + k).decode(11, 12 + k));
        }
        assertArrayEquals(solo(pa, 5), ex.generatedTokenIds(10));
        assertArrayEquals(solo(pb, 4), ex.generatedTokenIds(11));
        assertTrue(Double.isNaN(r1.gpuUtilization()), "no telemetry on the CPU backend");
        assertEquals(-1, r1.deviceNanos());
    }

    @Test
    void run_preemptedThenRecomputed_continuesWithSameTokens() {
        int[] p = GpuExecutor.syntheticPrompt(5, 9, C.vocab());
        GpuExecutor ex = GpuExecutor.cpuReference(C, 16, 4);
        ex.kv().getOrCreate(5, () -> p);
        ex.run(new ScriptedStep().prefill(5, 0, 9, true));
        ex.run(new ScriptedStep().decode(5, 9));
        ex.onPreempted(5);
        assertEquals(0, ex.usedKvBlocks());
        assertEquals(2, ex.generatedTokens(5), "tokens survive preemption");
        // the scheduler recomputes prompt + generated tokens as a prefill (in two chunks), then decodes on
        ex.run(new ScriptedStep().prefill(5, 0, 6, false));
        ex.run(new ScriptedStep().prefill(5, 6, 5, true));
        ex.run(new ScriptedStep().decode(5, 11));
        assertArrayEquals(solo(p, 4), ex.generatedTokenIds(5));
        ex.release(5);
        assertEquals(0, ex.usedKvBlocks());
        assertEquals(0, ex.generatedTokenIds(5).length);
    }

    @Test
    void run_kvPoolTooSmall_throwsSamplesNothingAndKeepsTakenBlocksUntilRelease() {
        int[] p = GpuExecutor.syntheticPrompt(1, 20, C.vocab());
        GpuExecutor ex = GpuExecutor.cpuReference(C, 2, 4);
        ex.kv().getOrCreate(1, () -> p);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ex.run(new ScriptedStep().prefill(1, 0, 20, true)));
        // 20 tokens in blocks of 4 need 5 blocks; the pool has 2
        assertEquals("KV cache exhausted: request 1 needs 5 blocks for 20 tokens, holds 2, 0 of 2 free", e.getMessage());
        assertEquals(0, ex.generatedTokens(1), "the failed step sampled nothing");
        // KvBlockManager.ensureCapacity keeps the blocks it handed out before running dry (the scheduler's fail()
        // path frees them through onStepFailed / the listener); they are not returned by the failed step itself
        assertEquals(2, ex.usedKvBlocks(), "both blocks stay with request 1 after the failure");
        assertEquals(2, ex.kv().get(1).blockCount);
        ex.release(1);
        assertEquals(0, ex.usedKvBlocks(), "release returns them");
        // the pool is whole again: a prompt that fits in its 2 blocks runs
        int[] small = GpuExecutor.syntheticPrompt(2, 8, C.vocab());
        ex.kv().getOrCreate(2, () -> small);
        ex.run(new ScriptedStep().prefill(2, 0, 8, true));
        assertEquals(1, ex.generatedTokens(2));
        assertEquals(2, ex.usedKvBlocks());
    }

    @Test
    void syntheticPrompt_sameId_sameTokensWithinVocab() {
        assertArrayEquals(GpuExecutor.syntheticPrompt(3, 50, 512), GpuExecutor.syntheticPrompt(3, 50, 512));
        for (int t : GpuExecutor.syntheticPrompt(99, 1000, 512)) {
            assertTrue(t >= 0 && t < 512);
        }
    }

    @Test
    void modelCheckSteps_onCpuReference_areConsistentAndSampleSevenRows() {
        // the GPU selftest's step script, validated where it can be: on the CPU backend
        int[] pa = GpuExecutor.syntheticPrompt(1, 11, C.vocab());
        int[] pb = GpuExecutor.syntheticPrompt(2, 75, C.vocab());
        GpuExecutor ex = GpuExecutor.cpuReference(C, 64, 4);
        ex.kv().getOrCreate(1, () -> pa);
        ex.kv().getOrCreate(2, () -> pb);
        int sampled = 0;
        for (StepEntries step : GpuChecks.modelCheckSteps(pa, pb)) {
            sampled += ex.run(step).sampled();
        }
        assertEquals(7, sampled, "1 + 2 + 2 + 2 token-producing entries");
        assertArrayEquals(solo(pa, 4), ex.generatedTokenIds(1));
        assertArrayEquals(solo(pb, 3), ex.generatedTokenIds(2));
    }

    @Test
    void modelCheckSteps_headDim128Config_runOnCpuReference() {
        // the config the GPU checks use for the kernels' head-dim-128 paths: one the CPU reference accepts (GQA 2:1)
        LlamaConfig c = LlamaConfig.tinyHead128();
        assertEquals(128, c.headDim());
        int[] pa = GpuExecutor.syntheticPrompt(1, 11, c.vocab());
        int[] pb = GpuExecutor.syntheticPrompt(2, 75, c.vocab());
        GpuExecutor ex = GpuExecutor.cpuReference(c, 64, 4);
        ex.kv().getOrCreate(1, () -> pa);
        ex.kv().getOrCreate(2, () -> pb);
        int sampled = 0;
        for (StepEntries step : GpuChecks.modelCheckSteps(pa, pb)) {
            sampled += ex.run(step).sampled();
        }
        assertEquals(7, sampled);
        assertEquals(4, ex.generatedTokenIds(1).length);
    }

    @Test
    void datasheetPeaks_knownAndUnknownDevices() {
        assertEquals(2039e9, GpuChecks.datasheetPeaks("NVIDIA A100-SXM4-80GB")[0]);
        assertEquals(989e12, GpuChecks.datasheetPeaks("NVIDIA H100 80GB HBM3")[1]);
        assertTrue(Double.isNaN(GpuChecks.datasheetPeaks("Tesla T4")[0]));
        // Llama-2-7B decode at batch 64, context 512: 13.48 GB of weights + 64 x 512 x 0.5 MB of KV
        assertEquals(13.48e9 + 17.18e9, GpuChecks.decodeBytes(LlamaConfig.llama2_7b(), 64, 512), 0.02e9);
    }

    /** A runner that only closes (and throws there when {@code failClose}). */
    private static ModelRunner closingRunner(boolean failClose) {
        return new ModelRunner() {
            @Override
            public void forward(StepPlan plan, int[] sampled) {
                throw new UnsupportedOperationException();
            }

            @Override
            public long lastDeviceNanos() {
                return -1;
            }

            @Override
            public String describe() {
                return "test";
            }

            @Override
            public void close() {
                if (failClose) {
                    throw new IllegalStateException("runner close failed");
                }
            }
        };
    }

    /** Telemetry that counts closes, and throws from utilization() and (when asked) close(). */
    private static final class BadTelemetry implements GpuTelemetry {
        final boolean failClose;
        int closes;

        BadTelemetry(boolean failClose) {
            this.failClose = failClose;
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public double utilization() {
            throw new IllegalStateException("NVML went away");
        }

        @Override
        public long memoryUsedBytes() {
            return -1;
        }

        @Override
        public void close() {
            closes++;
            if (failClose) {
                throw new IllegalStateException("telemetry close failed");
            }
        }
    }

    @Test
    void close_runnerCloseThrows_stillClosesTelemetryAndKeepsBothErrors() {
        BadTelemetry t = new BadTelemetry(false);
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> new GpuExecutor(C, closingRunner(true), 8, 4, t).close());
        assertEquals("runner close failed", x.getMessage());
        assertEquals(1, t.closes);

        BadTelemetry t2 = new BadTelemetry(true);
        IllegalStateException y = assertThrows(IllegalStateException.class, () -> new GpuExecutor(C, closingRunner(true), 8, 4, t2).close());
        assertEquals(1, t2.closes);
        assertEquals("telemetry close failed", y.getSuppressed()[0].getMessage());
    }

    @Test
    void run_telemetryThrows_stepSucceedsWithNaNUtilization() {
        int[] p = GpuExecutor.syntheticPrompt(3, 6, C.vocab());
        GpuExecutor ex = new GpuExecutor(C, new CpuReference(C, 16, 4), 16, 4, new BadTelemetry(false));
        ex.kv().getOrCreate(3, () -> p);
        StepResult r = ex.run(new ScriptedStep().prefill(3, 0, 6, true));
        assertTrue(Double.isNaN(r.gpuUtilization()));
        assertEquals(1, ex.generatedTokens(3));
        assertArrayEquals(solo(p, 1), ex.generatedTokenIds(3));
    }
}

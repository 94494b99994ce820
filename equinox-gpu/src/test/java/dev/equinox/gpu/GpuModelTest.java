package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Equinox;
import dev.equinox.Scheduler;
import org.junit.jupiter.api.Tag;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole decoder on the GPU against {@link CpuReference}: same weights, same paged steps, logits within fp16
 * tolerance, for each kernel variant ({@link KernelOptions}), at head dims 32 and 128. GPU only: all passed on an H100
 * (docs/gpu.md, fifth run).
 */
@Tag("gpu")
class GpuModelTest {

    static Stream<KernelOptions> variants() {
        return Stream.of(KernelOptions.DEFAULT, KernelOptions.WARP_PREFILL, new KernelOptions(true, true, 4, false),
                new KernelOptions(false, true, 8, false), new KernelOptions(true, false, 2, false));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void forward_mixedPrefillAndDecodeSteps_logitsMatchCpuReference(KernelOptions options) {
        GpuTestSupport.assumeGpu();
        GpuChecks.ModelCheck m = GpuChecks.modelVsReference(LlamaConfig.tiny(), options);
        assertEquals(7, m.rows());
        assertEquals(0, m.tokenMismatches(), "greedy tokens");
        assertTrue(m.maxRelativeLogitError() < 2e-2, "max relative logit error " + m.maxRelativeLogitError());
        assertTrue(m.deviceNanos() > 0);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void forward_headDim128_logitsMatchCpuReference(KernelOptions options) {
        GpuTestSupport.assumeGpu();
        GpuChecks.ModelCheck m = GpuChecks.modelVsReference(LlamaConfig.tinyHead128(), options);
        assertEquals(7, m.rows());
        assertEquals(0, m.tokenMismatches(), "greedy tokens");
        assertTrue(m.maxRelativeLogitError() < 2e-2, "max relative logit error " + m.maxRelativeLogitError());
    }

    @Test
    void hostEngine_onGpu_finishesEveryRequest() {
        GpuTestSupport.assumeGpu();
        try (Scheduler s = Equinox.builder().kvCache(256, 16).tokenBudget(256).maxRunning(16).chunkSize(64).build();
                GpuExecutor ex = GpuExecutor.open(LlamaConfig.tiny(), 256, 16, 256, 16, 1024, NvmlTelemetry.open(0))) {
            GpuHostEngine.Report r = new GpuHostEngine(s, ex).run(ServeBenchCommand.workload(20, 2, 0, 100, 20, 1), 120);
            assertEquals(20, r.finished());
            assertTrue(r.deviceSeconds() > 0);
            assertEquals(0, ex.usedKvBlocks());
        }
    }
}

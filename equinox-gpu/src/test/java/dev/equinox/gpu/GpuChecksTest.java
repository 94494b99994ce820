package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The decode-step GEMM list behind {@code perf --breakdown}: it must be the model's GEMMs, all of them. */
class GpuChecksTest {

    @Test
    void decodeGemms_coverEveryWeightButTheEmbeddingAndNorms() {
        for (LlamaConfig c : new LlamaConfig[] {LlamaConfig.tiny(), LlamaConfig.llama2_7b(), LlamaConfig.preset("llama-3-8b")}) {
            long gemmBytes = GpuChecks.decodeGemms(c).stream().mapToLong(GpuChecks.DecodeGemm::weightBytes).sum();
            long embeddingAndNorms = 2L * ((long) c.vocab() * c.hidden() + 2L * c.layers() * c.hidden() + c.hidden());
            assertEquals(c.weightBytes() - embeddingAndNorms, gemmBytes, c.toString());
        }
    }

    @Test
    void decodeGemms_addIntoTheResidualExactlyWhereTheModelDoes() {
        List<GpuChecks.DecodeGemm> g = GpuChecks.decodeGemms(LlamaConfig.llama2_7b());
        assertEquals(List.of("qkv", "o", "gate/up", "down", "lm head"), g.stream().map(GpuChecks.DecodeGemm::name).toList());
        assertEquals(List.of(false, true, false, true, false), g.stream().map(GpuChecks.DecodeGemm::accumulate).toList());
        assertEquals(4096, g.get(3).n());
        assertEquals(11008, g.get(3).k());
    }
}

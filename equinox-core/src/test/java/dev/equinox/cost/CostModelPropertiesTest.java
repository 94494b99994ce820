package dev.equinox.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.EngineCostModel;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Properties every bundled cost model must have, checked over a grid of steps. */
class CostModelPropertiesTest {
    private static final int[] TOKENS = {0, 1, 16, 64, 128, 512, 2048, 8192};
    private static final int[] SEQS = {0, 1, 8, 32, 128, 256};
    private static final int[] CONTEXT = {0, 128, 1024, 4096};

    static List<EngineCostModel> models() {
        List<EngineCostModel> m = new ArrayList<>();
        m.add(CostModels.vtcA10g());
        for (Calibration c : Calibration.values()) {
            m.add(CostModels.calibrated(c));
        }
        for (Gpu gpu : Gpu.values()) {
            m.add(CostModels.roofline(gpu, ModelShape.LLAMA2_7B));
            m.add(CostModels.roofline(gpu, ModelShape.LLAMA2_13B));
            for (int tp : new int[] {1, 2, 4, 8}) {
                m.add(CostModels.roofline(gpu, ModelShape.LLAMA2_70B.withTensorParallel(tp),
                        new RooflineCostModel.Efficiency(0.7, 0.7, 0.8, 20e-6, 1e-3)));
            }
        }
        m.add(ProfileCostModelTest.sampleProfile());
        OnlineCorrectedCostModel online = CostModels.onlineCorrected(CostModels.calibrated());
        online.observe(512, 512L * 512, 0, 0, 0.1);
        online.observe(0, 0, 16, 16 * 1000, 0.02);
        m.add(online);
        m.add(ProfileCostModel.load("inline", new StringReader(
                "prefill_tokens,decode_seqs,decode_context_tokens,step_ms\n100,0,0,20\n0,10,1000,10\n"), 0));
        return m;
    }

    @Test
    void stepSeconds_moreTokensSequencesOrContext_neverFaster() {
        for (EngineCostModel m : models()) {
            for (int p : TOKENS) {
                for (int s : SEQS) {
                    for (int ctx : CONTEXT) {
                        long pairs = (long) p * (p + ctx);
                        long dctx = (long) s * ctx;
                        double t = m.stepSeconds(p, pairs, s, dctx);
                        String at = m.describe() + " at " + p + "/" + pairs + "/" + s + "/" + dctx;
                        assertTrue(t >= 0 && Double.isFinite(t), at);
                        assertTrue(m.stepSeconds(p + 64, (long) (p + 64) * (p + 64 + ctx), s, dctx) >= t, "tokens " + at);
                        assertTrue(m.stepSeconds(p, pairs + 4096, s, dctx) >= t, "pairs " + at);
                        assertTrue(m.stepSeconds(p, pairs, s + 1, dctx + ctx) >= t, "sequences " + at);
                        assertTrue(m.stepSeconds(p, pairs, s, dctx + 1000) >= t || s == 0, "context " + at);
                    }
                }
            }
        }
    }

    @Test
    void stepSeconds_emptyStep_isZero() {
        for (EngineCostModel m : models()) {
            assertEquals(0, m.stepSeconds(0, 0, 0, 0), m.describe());
            assertEquals(0, m.utilization(0, 0, 0, 0), m.describe());
        }
    }

    @Test
    void utilization_anyStep_inUnitIntervalAndGpuShareOfStep() {
        for (EngineCostModel m : models()) {
            for (int p : TOKENS) {
                for (int s : SEQS) {
                    double u = m.utilization(p, (long) p * p, s, s * 1024L);
                    assertTrue(u >= 0 && u <= 1, m.describe() + " utilization " + u);
                }
            }
        }
        CalibratedCostModel cal = CostModels.calibrated();
        double t = cal.stepSeconds(0, 0, 32, 32 * 1024L);
        assertEquals(1 - cal.cpuOverheadSeconds(32) / t, cal.utilization(0, 0, 32, 32 * 1024L), 1e-12);
        RooflineCostModel roof = CostModels.roofline(Gpu.A100_80GB, ModelShape.LLAMA2_7B);
        assertEquals(1.0, roof.utilization(0, 0, 1, 100), 1e-12, "datasheet roofline has no CPU time");
    }

    @Test
    void marginalCosts_largerChunkOrContext_neverCheaper() {
        for (EngineCostModel m : models()) {
            for (int ctx : new int[] {0, 1, 512, 4096}) {
                double d = m.decodeCost(ctx);
                assertTrue(d >= 0 && m.decodeCost(ctx + 100) >= d, m.describe() + " decode " + ctx);
                for (int c : new int[] {1, 64, 512}) {
                    double pc = m.prefillCost(c, ctx + c);
                    assertTrue(pc > 0 || m instanceof ProfileCostModel, m.describe() + " prefill " + c);
                    assertTrue(m.prefillCost(c + 1, ctx + c + 1) >= pc, m.describe() + " prefill chunk " + c);
                    assertTrue(m.prefillCost(c, ctx + c + 100) >= pc, m.describe() + " prefill context " + c);
                }
            }
            assertEquals(0, m.prefillCost(0, 100), m.describe());
        }
    }

    @Test
    void idleLatencySeconds_longerPromptOrOutput_neverShorter() {
        for (EngineCostModel m : models()) {
            double t = m.idleLatencySeconds(512, 128);
            assertTrue(t > 0, m.describe());
            assertTrue(m.idleLatencySeconds(1024, 128) >= t, m.describe());
            assertTrue(m.idleLatencySeconds(512, 256) >= t, m.describe());
        }
        CalibratedCostModel cal = CostModels.calibrated();
        double expected = cal.stepSeconds(512, 512L * 512, 0, 0) + 127 * cal.stepSeconds(0, 0, 1, 512 + 64);
        assertEquals(expected, cal.idleLatencySeconds(512, 128), 1e-12);
    }

    @Test
    void describe_everyModel_namesIt() {
        for (EngineCostModel m : models()) {
            assertTrue(!m.describe().isBlank());
        }
        assertEquals("calibrated llama-2-7b a100 tp1 (vidur profiles)", CostModels.calibrated().describe());
        assertEquals("roofline a100-80gb llama-2-70b tp4 (datasheet)",
                CostModels.roofline(Gpu.A100_80GB, ModelShape.LLAMA2_70B.withTensorParallel(4)).describe());
    }
}

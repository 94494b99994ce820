package dev.equinox.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RooflineCostModelTest {
    private static final RooflineCostModel A100_7B = CostModels.roofline(Gpu.A100_80GB, ModelShape.LLAMA2_7B);

    @Test
    void modelShape_llama2_matchesPublishedSizes() {
        // 6.74e9 parameters and 0.5 MiB of KV per token (32 layers x 2 x 4096 x 2 bytes)
        assertEquals(6.74e9, ModelShape.LLAMA2_7B.params(), 0.01e9);
        assertEquals(524_288, ModelShape.LLAMA2_7B.kvBytesPerToken());
        assertEquals(13.0e9, ModelShape.LLAMA2_13B.params(), 0.05e9);
        assertEquals(69.0e9, ModelShape.LLAMA2_70B.params(), 0.1e9);
        assertEquals(327_680, ModelShape.LLAMA2_70B.kvBytesPerToken(), "GQA: 8 KV heads of 128");
    }

    @Test
    void modelShape_tensorParallelNotDividingKvHeads_throws() {
        assertThrows(IllegalArgumentException.class, () -> ModelShape.LLAMA2_70B.withTensorParallel(16));
        assertThrows(IllegalArgumentException.class, () -> ModelShape.LLAMA2_7B.withTensorParallel(3));
    }

    @Test
    void efficiency_outOfRange_throws() {
        assertThrows(IllegalArgumentException.class, () -> new RooflineCostModel.Efficiency(0, 1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RooflineCostModel.Efficiency(1, 1.5, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RooflineCostModel.Efficiency(1, 1, 1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RooflineCostModel.Efficiency(1, 1, 1, 0, Double.NaN));
    }

    @Test
    void decode_smallBatch_memoryBoundFlat() {
        // all weights are read once per step, whatever the batch: 1 to 64 sequences cost (nearly) the same
        double one = A100_7B.stepSeconds(0, 0, 1, 128);
        double weights = (ModelShape.LLAMA2_7B.params() - 32000L * 4096) * 2.0 / 2.0e12;
        assertEquals(weights, one, 0.01 * weights);
        double noKv = A100_7B.stepSeconds(0, 0, 1, 0);
        for (int b : new int[] {2, 8, 32, 64}) {
            assertEquals(noKv, A100_7B.stepSeconds(0, 0, b, 0), 1e-15, "below the ridge point, batch " + b);
            assertTrue(A100_7B.stepSeconds(0, 0, b, 32L * b) < 1.10 * one, "batch " + b);
        }
        CalibratedCostModel cal = CostModels.calibrated();
        double calOne = cal.stepSeconds(0, 0, 1, 128);
        for (int b : new int[] {2, 8, 16}) {
            assertTrue(cal.stepSeconds(0, 0, b, 128L * b) < 1.25 * calOne, "calibrated batch " + b);
        }
    }

    @Test
    void prefill_atScale_linearInTokens() {
        // chunks of 512 tokens at a fixed context of 512: attended pairs grow linearly with tokens
        for (var m : new dev.equinox.spi.EngineCostModel[] {A100_7B, CostModels.calibrated(),
            CostModels.llama2_70b_h100(4)}) {
            double t1 = m.stepSeconds(4096, 4096L * 512, 0, 0);
            double t2 = m.stepSeconds(8192, 8192L * 512, 0, 0);
            double t3 = m.stepSeconds(12288, 12288L * 512, 0, 0);
            assertEquals(t2 - t1, t3 - t2, 0.02 * (t2 - t1), m.describe());
            assertEquals(2.0, t2 / t1, 0.1, m.describe());
        }
    }

    @Test
    void prefill_largeChunk_computeBound() {
        double t = A100_7B.stepSeconds(4096, 0, 0, 0);
        double flops = 2.0 * 32 * ModelShape.LLAMA2_7B.paramsPerLayer() * 4096;
        assertTrue(t >= flops / 312e12, "at least the linear layers' FLOPs at peak");
        assertTrue(t < 1.05 * flops / 312e12 + 0.001);
    }

    @Test
    void tensorParallel_moreGpus_lessPerGpuTimePlusAllReduce() {
        int tokens = 2048;
        RooflineCostModel one = CostModels.roofline(Gpu.H100_SXM, ModelShape.LLAMA2_70B);
        for (int tp : new int[] {2, 4, 8}) {
            RooflineCostModel split = CostModels.roofline(Gpu.H100_SXM, ModelShape.LLAMA2_70B.withTensorParallel(tp));
            double t = split.stepSeconds(tokens, (long) tokens * tokens, 0, 0);
            double base = one.stepSeconds(tokens, (long) tokens * tokens, 0, 0);
            double allReduce = 2 * 80 * 2.0 * (tp - 1) / tp * tokens * 8192 * 2 / 450e9;
            assertEquals(base / tp + allReduce, t, 1e-9 * base, "tp " + tp);
            assertTrue(t < base && allReduce > 0);
        }
        double prev = Double.POSITIVE_INFINITY;
        for (int tp : new int[] {2, 4, 8}) {
            CalibratedCostModel cal = CostModels.llama2_70b_a100(tp);
            double t = cal.stepSeconds(tokens, (long) tokens * tokens, 0, 0);
            assertTrue(t < prev, "calibrated 70B A100 tp " + tp);
            assertTrue(cal.calibration().allReduce[0] > 0 && cal.calibration().allReduce[1] > 0);
            prev = t;
        }
    }

    @Test
    void efficiency_lower_slowerAndCpuOverheadInUtilization() {
        var eff = new RooflineCostModel.Efficiency(0.5, 0.5, 0.5, 0, 0.002);
        RooflineCostModel slow = CostModels.roofline(Gpu.A100_80GB, ModelShape.LLAMA2_7B, eff);
        double fast = A100_7B.stepSeconds(0, 0, 8, 8000);
        double t = slow.stepSeconds(0, 0, 8, 8000);
        assertEquals(2 * fast + 0.002, t, 1e-12);
        assertEquals(0.002, slow.cpuOverheadSeconds());
        assertEquals(1 - 0.002 / t, slow.utilization(0, 0, 8, 8000), 1e-12);
    }

    @Test
    void presets_factories_pickTheirCalibration() {
        assertEquals(Calibration.LLAMA2_7B_A100_TP1, CostModels.calibrated().calibration());
        assertEquals(Calibration.LLAMA2_7B_H100_TP1, CostModels.llama2_7b_h100().calibration());
        assertEquals(Calibration.LLAMA2_70B_A100_TP8, CostModels.llama2_70b_a100(8).calibration());
        assertEquals(Calibration.LLAMA2_70B_H100_TP2, CostModels.llama2_70b_h100(2).calibration());
        assertEquals(4, Calibration.LLAMA2_70B_H100_TP4.tensorParallel());
        assertTrue(CostModels.llama2_7b_h100().stepSeconds(0, 0, 1, 1000) < CostModels.calibrated().stepSeconds(0, 0, 1, 1000));
    }

    @Test
    void presets_unknownTensorParallel_throw() {
        assertThrows(IllegalArgumentException.class, () -> CostModels.llama2_70b_a100(1));
        assertThrows(IllegalArgumentException.class, () -> CostModels.llama2_70b_h100(3));
    }
}

package dev.equinox.cost;

import dev.equinox.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OnlineCorrectedCostModelTest {
    private final CalibratedCostModel base = CostModels.calibrated();

    @Test
    void observe_constantFactor_convergesToIt() {
        OnlineCorrectedCostModel m = new OnlineCorrectedCostModel(base, 0.05);
        for (int i = 0; i < 200; i++) {
            int seqs = 1 + i % 64;
            long ctx = seqs * (500L + 37 * i);
            double noise = 1 + 0.05 * Math.sin(i);
            m.observe(0, 0, seqs, ctx, 1.8 * noise * base.stepSeconds(0, 0, seqs, ctx));
            int chunk = 64 + 16 * (i % 100);
            m.observe(chunk, (long) chunk * chunk, seqs, ctx, 0.7 * noise * base.stepSeconds(chunk, (long) chunk * chunk, seqs, ctx));
        }
        assertEquals(1.8, m.decodeRatio(), 0.05 * 1.8);
        assertEquals(0.7, m.prefillRatio(), 0.05 * 0.7);
        assertEquals(400, m.observations());
        assertEquals(m.decodeRatio() * base.stepSeconds(0, 0, 8, 8000), m.stepSeconds(0, 0, 8, 8000), 1e-15);
        assertEquals(m.prefillRatio() * base.stepSeconds(512, 512L * 512, 8, 8000),
                m.stepSeconds(512, 512L * 512, 8, 8000), 1e-15);
        assertEquals(m.decodeRatio() * base.decodeCost(1000), m.decodeCost(1000), 1e-15);
        assertEquals(m.prefillRatio() * base.prefillCost(256, 1024), m.prefillCost(256, 1024), 1e-15);
    }

    @Test
    void observe_firstStep_countsInFullThenEwma() {
        OnlineCorrectedCostModel m = new OnlineCorrectedCostModel(base, 0.1);
        double t = base.stepSeconds(0, 0, 4, 4000);
        m.observe(0, 0, 4, 4000, 2 * t);
        assertEquals(2.0, m.decodeRatio(), 1e-12);
        assertEquals(1.0, m.prefillRatio(), "kinds are separate");
        for (int i = 0; i < 9; i++) {
            m.observe(0, 0, 4, 4000, 2 * t);
        }
        m.observe(0, 0, 4, 4000, 3 * t);
        assertEquals(2.0 + 0.1 * (3.0 - 2.0), m.decodeRatio(), 1e-12, "EWMA once 1/alpha steps are seen");
        m.reset();
        assertEquals(1.0, m.decodeRatio());
        assertEquals(0, m.observations());
    }

    @Test
    void observe_outlierOrInvalid_clampedOrIgnored() {
        OnlineCorrectedCostModel m = new OnlineCorrectedCostModel(base, 1.0);
        double t = base.stepSeconds(0, 0, 1, 100);
        m.observe(0, 0, 1, 100, 1000 * t);
        assertEquals(16.0, m.decodeRatio(), 1e-12);
        m.observe(0, 0, 1, 100, -1);
        m.observe(0, 0, 1, 100, Double.NaN);
        m.observe(0, 0, 0, 0, 1);
        assertEquals(16.0, m.decodeRatio(), 1e-12);
        assertEquals(1, m.observations());
        assertThrows(IllegalArgumentException.class, () -> new OnlineCorrectedCostModel(base, 0));
    }

    @Test
    void utilization_slowerThanModelled_keepsCpuSecondsScalesGpu() {
        OnlineCorrectedCostModel m = new OnlineCorrectedCostModel(base, 1.0);
        double t = base.stepSeconds(0, 0, 32, 32_000);
        m.observe(0, 0, 32, 32_000, 2 * t);
        double cpu = base.cpuOverheadSeconds(32);
        assertEquals(1 - cpu / (2 * t), m.utilization(0, 0, 32, 32_000), 1e-12);
        assertEquals(base.cpuOverheadSeconds(), m.cpuOverheadSeconds());
        assertTrue(m.describe().contains("decode 2.000"), m.describe());
    }

    @Test
    void observe_steadyState_allocatesNothing() {
        Allocations alloc = Allocations.ofCurrentThread();
        OnlineCorrectedCostModel m = new OnlineCorrectedCostModel(base, 0.05);
        double sink = 0;
        for (int i = 0; i < 20_000; i++) {
            m.observe(i % 2 == 0 ? 256 : 0, 65_536, 16, 16_000, 0.02);
            sink += m.stepSeconds(0, 0, 16, 16_000) + m.decodeCost(1000) + m.prefillCost(256, 256);
        }
        alloc.reset();
        for (int i = 0; i < 100_000; i++) {
            m.observe(i % 2 == 0 ? 256 : 0, 65_536, 16, 16_000, 0.02);
            sink += m.stepSeconds(0, 0, 16, 16_000) + m.decodeCost(1000) + m.prefillCost(256, 256);
        }
        long allocated = alloc.bytes();
        assertTrue(sink > 0);
        assertTrue(allocated < 10_000, "allocated " + allocated + " bytes over 100k calls");
    }
}

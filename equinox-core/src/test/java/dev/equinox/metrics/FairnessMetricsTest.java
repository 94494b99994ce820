package dev.equinox.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FairnessMetricsTest {
    private static final double EPS = 1e-9;

    /** 2 ticks over T = 20 with no warm-up and a 10 s window: windows [-5, 5] and [5, 15]. */
    private static FairnessOptions twoTicks() {
        return new FairnessOptions(2, 0, 10, 1, 2, -1, Map.of());
    }

    /*
     * A: cost 100 served over [0, 10] (10/s), arrived at 0.
     * B: cost 20 arrived at 4, served over [16, 18]; cost 10 arrived at 20 (sets T = 20), served over [20, 21].
     */
    private static List<FairnessRecord> handCase() {
        return List.of(
                new FairnessRecord("A", 0, 0, 10, 100, 0),
                new FairnessRecord("B", 4, 16, 18, 20, 0),
                new FairnessRecord("B", 20, 20, 21, 10, 0));
    }

    @Test
    void serviceDifference_lowDemandTenant_cappedByUnmetDemand() {
        assertEquals(6, FairnessMetrics.serviceDifference(new double[] {10, 4}, new double[] {10, 100}), EPS);
        assertEquals(1, FairnessMetrics.serviceDifference(new double[] {10, 2}, new double[] {10, 3}), EPS);
        assertEquals(0, FairnessMetrics.serviceDifference(new double[] {5, 5, 5}, new double[] {50, 60, 70}), EPS);
    }

    @Test
    void jain_equalAndSkewed_knownValues() {
        assertEquals(1, FairnessMetrics.jain(new double[] {3, 3, 3}), EPS);
        assertEquals(0.5, FairnessMetrics.jain(new double[] {1, 0}), EPS);
        // (1+2+3)^2 / (3 * 14) = 36/42
        assertEquals(36.0 / 42, FairnessMetrics.jain(new double[] {1, 2, 3}), EPS);
    }

    @Test
    void waterFill_smallCap_restGoesToOthersByWeight() {
        assertArrayEquals(new double[] {2, 8}, FairnessMetrics.waterFill(10, new double[] {2, 100}, new double[] {1, 1}), EPS);
        assertArrayEquals(new double[] {2, 4}, FairnessMetrics.waterFill(6, new double[] {100, 100}, new double[] {1, 2}), EPS);
        assertArrayEquals(new double[] {1, 2}, FairnessMetrics.waterFill(10, new double[] {1, 2}, new double[] {1, 1}), EPS);
    }

    @Test
    void ticks_artifactRule_intOfLastArrivalMinusWarmup() {
        // T = int(360.7) = 360; x_i = (360 - 30) / 100 * i
        double[] x = FairnessMetrics.ticks(360.7, 30, 100);
        assertEquals(100, x.length);
        assertEquals(0, x[0], EPS);
        assertEquals(3.3, x[1], EPS);
        assertEquals(3.3 * 99, x[99], 1e-6);
    }

    @Test
    void compute_handCase_serviceDemandAndDifferences() {
        FairnessReport r = FairnessMetrics.compute(handCase(), twoTicks());
        assertArrayEquals(new String[] {"A", "B"}, r.tenants());
        assertArrayEquals(new double[] {0, 10}, r.ticks(), EPS);
        // tick 0, window [-5, 5]: A served 50 of its 100 and asked 100; B served 0 and asked 20
        assertArrayEquals(new double[] {5, 5}, r.serviceRate()[0], EPS);
        assertArrayEquals(new double[] {10, 0}, r.demandRate()[0], EPS);
        assertArrayEquals(new double[] {0, 0}, r.serviceRate()[1], EPS);
        assertArrayEquals(new double[] {2, 0}, r.demandRate()[1], EPS);
        // diff tick 0: min(0, 5) + min(5, 2) = 2; tick 1: min(0, 5) + min(5, 0) = 0
        assertArrayEquals(new double[] {2, 0}, r.serviceDifference(), EPS);
        assertEquals(2, r.maxServiceDifference(), EPS);
        assertEquals(1, r.avgServiceDifference(), EPS);
        assertEquals(1, r.varServiceDifference(), EPS);
        // accumulated over [0, x_i]: tick 1 -> A 100, B 0
        assertArrayEquals(new double[] {0, 100}, r.accumulatedDifference(), EPS);
        assertEquals(100, r.maxAccumulatedDifference(), EPS);
    }

    @Test
    void compute_handCase_jainOverDemandNormalisedService() {
        FairnessReport r = FairnessMetrics.compute(handCase(), twoTicks());
        // tick 0: both backlogged; served 50 and 0; caps (outstanding) 100 and 20; water-fill of 50 -> 30, 20;
        // x = (50/30, 0) -> Jain 0.5. Tick 1: only B backlogged -> undefined.
        assertEquals(0.5, r.jain()[0], EPS);
        assertTrue(Double.isNaN(r.jain()[1]));
        assertEquals(0.5, r.meanJain(), EPS);
    }

    @Test
    void compute_weightedTenant_serviceAndDemandDividedByWeight() {
        FairnessReport r = FairnessMetrics.compute(handCase(), twoTicks().withWeights(Map.of("B", 2.0)));
        assertEquals(1, r.demandRate()[1][0], EPS);
        // tick 0: min(0, 5) + min(5, |1 - 0|) = 1
        assertEquals(1, r.serviceDifference()[0], EPS);
    }

    @Test
    void compute_equalService_jainIsOne() {
        // two tenants each served 10/s over [0, 100], each always with a request waiting
        List<FairnessRecord> rs = List.of(
                new FairnessRecord("A", 0, 0, 100, 1000, 0),
                new FairnessRecord("A", 0, 100, 101, 1, 0),
                new FairnessRecord("B", 0, 0, 100, 1000, 0),
                new FairnessRecord("B", 0, 100, 101, 1, 0),
                new FairnessRecord("B", 100, 101, 102, 1, 0));
        FairnessReport r = FairnessMetrics.compute(rs, new FairnessOptions(4, 0, 10, 1, 2, -1, Map.of()));
        for (double j : r.jain()) {
            assertEquals(1, j, EPS);
        }
        assertEquals(0, r.maxServiceDifference(), EPS);
    }

    @Test
    void compute_artifactRules_skipsRequestsFinishingBeforeOneSecond() {
        List<FairnessRecord> rs = List.of(
                new FairnessRecord("A", 0, 0.2, 0.5, 100, 10),
                new FairnessRecord("A", 0, 2, 4, 10, 5),
                new FairnessRecord("A", 100, 101, 102, 1, 1));
        FairnessOptions o = new FairnessOptions(2, 0, 10, 1, 2, 1, Map.of());
        FairnessReport r = FairnessMetrics.compute(rs, o);
        // window [-5, 5]: only the second request's 20 counts as service; demand counts both (120 + 20)
        assertEquals(2, r.serviceRate()[0][0], EPS);
        assertEquals(14, r.demandRate()[0][0], EPS);
    }

    @Test
    void compute_noRecords_throws() {
        assertThrows(IllegalArgumentException.class, () -> FairnessMetrics.compute(List.of()));
    }
}

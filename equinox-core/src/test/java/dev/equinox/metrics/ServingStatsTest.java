package dev.equinox.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServingStatsTest {
    @Test
    void add_finishedRunningAndWaitingRequests_countEachWhereItBelongs() {
        ServingStats s = new ServingStats();
        s.add("a", 0.0, 1.0, 3.0, 3.0, 10, 5);                      // finished
        s.add("b", 1.0, 1.5, 2.5, 2.5, 20, 3);                      // finished
        s.add("a", 2.0, 2.5, Double.NaN, 4.0, 30, 2);               // decoding when the run stopped at 4 s
        s.add("b", 3.0, Double.NaN, Double.NaN, Double.NaN, 40, 0); // never served
        assertEquals(4, s.requests());
        assertEquals(2, s.finished());
        assertEquals(30, s.finishedInputTokens());
        assertEquals(8, s.finishedOutputTokens());
        assertArrayEquals(new double[] {0.5, 0.9, 0.99}, s.ttft(), 1e-12, "1.0, 0.5, 0.5: the three with a first token");
        assertArrayEquals(new double[] {2.25, 2.85, 2.985}, s.e2e(), 1e-12, "3.0 and 1.5");
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, s.tpot(), 1e-12, "(3 - 1) / 4 and (2.5 - 1.5) / 2");
        FairnessReport expected = FairnessMetrics.compute(List.of(new FairnessRecord("a", 0, 1, 3, 10, 5),
                new FairnessRecord("b", 1, 1.5, 2.5, 20, 3), new FairnessRecord("a", 2, 2.5, 4, 30, 2),
                new FairnessRecord("b", 3, Double.NaN, Double.NaN, 40, 0)), FairnessOptions.vtcArtifact());
        FairnessReport got = s.fairness(FairnessOptions.vtcArtifact());
        assertEquals(expected.maxServiceDifference(), got.maxServiceDifference());
        assertEquals(expected.meanJain(), got.meanJain());
        assertArrayEquals(expected.serviceDifference(), got.serviceDifference());
    }

    @Test
    void empty_givesNaNPercentilesAndNoFairnessReport() {
        ServingStats s = new ServingStats();
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, Double.NaN}, s.ttft());
        assertNull(s.fairness(FairnessOptions.vtcArtifact()));
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, Double.NaN}, ServingStats.percentiles(new double[3], 0));
    }

    @Test
    void add_manyRequests_growsAndKeepsEveryValue() {
        ServingStats s = new ServingStats();
        for (int i = 0; i < 1000; i++) {
            s.add("t" + (i % 7), i, i + 0.25, i + 1.25, i + 1.25, 1, 2);
        }
        assertArrayEquals(new double[] {0.25, 0.25, 0.25}, s.ttft(), 1e-12);
        assertArrayEquals(new double[] {1.0, 1.0, 1.0}, s.tpot(), 1e-12);
        assertEquals(1000, s.finished());
    }

    @Test
    void add_inconsistentTimes_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ServingStats().add("a", 5.0, 4.0, 6.0, 3.0, 1, 1));
        assertThrows(NullPointerException.class, () -> new ServingStats().add(null, 0, 0, 0, 0, 1, 1));
    }
}

package dev.equinox.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ServiceTimeline} on hand-computed cases. */
class FairnessServiceTimelineTest {
    private static final double EPS = 1e-9;

    @Test
    void cumulative_oneRequest_linearOverFirstTokenToFinish() {
        // cost 10 + 2 * 5 = 20 over [2, 4]
        ServiceTimeline tl = ServiceTimeline.of(List.of(new FairnessRecord("a", 1, 2, 4, 10, 5)), 1, 2, -1);
        assertEquals(0, tl.cumulative(0, 1.5), EPS);
        assertEquals(0, tl.cumulative(0, 2), EPS);
        assertEquals(10, tl.cumulative(0, 3), EPS);
        assertEquals(20, tl.cumulative(0, 4), EPS);
        assertEquals(20, tl.cumulative(0, 100), EPS);
        assertEquals(5, tl.service(0, 2.5, 3), EPS);
    }

    @Test
    void cumulative_infiniteTime_isTheTotalNotNaN() {
        ServiceTimeline tl = ServiceTimeline.of(List.of(new FairnessRecord("a", 1, 2, 4, 10, 5)), 1, 2, -1);
        assertEquals(20, tl.cumulative(0, Double.POSITIVE_INFINITY), EPS);
        assertEquals(20, tl.service(0, 0, Double.POSITIVE_INFINITY), EPS);
    }

    @Test
    void cumulative_overlappingRequests_ratesAdd() {
        ServiceTimeline tl = ServiceTimeline.of(List.of(
                new FairnessRecord("a", 0, 0, 10, 100, 0),     // 10/s on [0, 10]
                new FairnessRecord("a", 0, 5, 10, 50, 0)), 1, 2, -1); // 10/s on [5, 10]
        assertEquals(50, tl.cumulative(0, 5), EPS);
        assertEquals(100, tl.cumulative(0, 7.5), EPS);
        assertEquals(150, tl.cumulative(0, 10), EPS);
    }

    @Test
    void cumulative_zeroDurationRequest_deliversAtFinishUnlessSkipped() {
        FairnessRecord one = new FairnessRecord("a", 0, 3, 3, 10, 1);
        assertEquals(12, ServiceTimeline.of(List.of(one), 1, 2, -1).cumulative(0, 3), EPS);
        assertEquals(0, ServiceTimeline.of(List.of(one), 1, 2, -1).cumulative(0, 2.9), EPS);
        assertEquals(0, ServiceTimeline.of(List.of(one), 1, 2, 1).cumulative(0, 5), EPS);
    }

    @Test
    void demand_windowEndsIncluded() {
        ServiceTimeline tl = ServiceTimeline.of(List.of(
                new FairnessRecord("a", 1, 2, 3, 10, 0),
                new FairnessRecord("a", 2, 2, 3, 20, 0),
                new FairnessRecord("a", 3, 4, 5, 40, 0)), 1, 2, -1);
        assertEquals(70, tl.demand(0, 1, 3), EPS);
        assertEquals(20, tl.demand(0, 1.5, 2.5), EPS);
        assertEquals(0, tl.demand(0, 3.5, 9), EPS);
    }

    @Test
    void backloggedAndOutstanding_waitingRequest_detected() {
        ServiceTimeline tl = ServiceTimeline.of(List.of(
                new FairnessRecord("a", 0, 5, 8, 10, 0),
                new FairnessRecord("b", 0, 0, 2, 10, 0)), 1, 2, -1);
        assertTrue(tl.backlogged(0, 4, 6));
        assertFalse(tl.backlogged(0, 5, 6));
        assertFalse(tl.backlogged(1, 1, 3));
        assertEquals(10, tl.outstanding(0, 6, 7), EPS);
        assertEquals(0, tl.outstanding(1, 3, 4), EPS);
    }

    @Test
    void tenants_sortedAndIndexed() {
        ServiceTimeline tl = ServiceTimeline.of(List.of(
                new FairnessRecord("zeta", 0, 0, 1, 1, 0),
                new FairnessRecord("alpha", 0, 0, 1, 1, 0)));
        assertEquals("alpha", tl.tenants()[0]);
        assertEquals(1, tl.indexOf("zeta"));
        assertEquals(-1, tl.indexOf("nope"));
    }

    @Test
    void record_timesOutOfOrder_throws() {
        assertThrows(IllegalArgumentException.class, () -> new FairnessRecord("a", 5, 4, 6, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FairnessRecord("a", 0, 4, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FairnessRecord("a", 0, Double.NaN, 3, 1, 1));
    }
}

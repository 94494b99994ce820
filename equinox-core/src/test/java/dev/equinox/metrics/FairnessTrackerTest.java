package dev.equinox.metrics;

import dev.equinox.Allocations;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.RequestHandle;
import dev.equinox.RequestStatus;
import dev.equinox.RequestListener;
import dev.equinox.Scheduler;
import dev.equinox.metrics.ScriptedEngine.Arrival;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FairnessTrackerTest {
    private static final double EPS = 1e-9;

    /** 20 s window in 20 buckets of 1 s, w_p = 1, w_q = 2, unit weights. */
    private static FairnessOptions window20() {
        return new FairnessOptions(1, 0, 20, 1, 2, -1, Map.of());
    }

    /*
     * FCFS, one running sequence, 1 s per step. At t=0: A1, A2 (prompt 10, output 5, cap 8), then B1 (same).
     * A1 prefills in [0,1] (first token at 1), decodes tokens 2..5 at 2..5 and ends at 5; A2 likewise over
     * [5,10]; B1 waits until 10, first token at 11, ends at 15.
     */
    private static List<Arrival> handWorkload() {
        return List.of(new Arrival(0, "A", 10, 5, 8), new Arrival(0, "A", 10, 5, 8), new Arrival(0, "B", 10, 5, 8));
    }

    /** A tracker on the 20 s window, listening to {@code s}. */
    private static FairnessTracker tracked(Scheduler s, ScriptedEngine e) {
        FairnessTracker tracker = FairnessTracker.create(e.ticker, window20(), 20);
        s.addListener(tracker);
        return tracker;
    }

    private static Scheduler fcfsOneAtATime(ScriptedEngine e) {
        return Equinox.builder().policy(Policies.fcfs()).maxRunning(1).tokenBudget(64).ticker(e.ticker).build();
    }

    @Test
    void snapshot_handCase_serviceDemandDifferenceAndJainByHand() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, handWorkload(), tracker::onSubmitted).runUntil(10);
        assertEquals(10_000_000_000L, e.now, "A1 and A2 ended, B1 still waits");
        e.now = 10_500_000_000L;

        FairnessSnapshot snap = tracker.snapshot();
        int a = snap.indexOf("A");
        int b = snap.indexOf("B");
        // window [0, 10.5]: the first event (the arrivals at 0) is later than the window's nominal start (-9 s)
        assertEquals(0, snap.windowStartNanos());
        assertEquals(10.5, snap.windowSeconds(), EPS);
        // A: 2 x (10 + 2 x 5) = 40 served; its demand was 2 x (10 + 2 x 8) at arrival, settled to 40 at finish
        assertEquals(40, snap.service()[a], EPS);
        assertEquals(0, snap.service()[b], EPS);
        assertEquals(40 / 10.5, snap.serviceRate()[a], EPS);
        assertEquals(40 / 10.5, snap.demandRate()[a], EPS);
        assertEquals(0, snap.serviceRate()[b], EPS);
        assertEquals(26 / 10.5, snap.demandRate()[b], EPS, "B1 in flight counts its cap: 10 + 2 x 8");
        // A: min(0, 0) = 0; B: min(40/10.5 - 0, |26/10.5 - 0|) = 26/10.5
        assertEquals(26 / 10.5, snap.serviceDifference(), EPS);
        assertEquals(40, snap.accumulatedServiceDifference(), EPS);
        // both backlogged; caps A = max(40, 40 outstanding), B = max(0, 26); fair shares of the 40 served: 20 each;
        // x = (40/20, 0/20) = (2, 0); J = 2^2 / (2 x 4) = 0.5
        assertArrayEquals(new boolean[] {true, true}, new boolean[] {snap.backlogged()[a], snap.backlogged()[b]});
        assertEquals(0.5, snap.jain(), EPS);

        e.runToEnd(); // B1 runs over [10.5, 15.5]
        FairnessSnapshot end = tracker.snapshot();
        assertEquals(15_500_000_000L, end.atNanos());
        assertEquals(20, end.service()[b], EPS);
        assertEquals(20, end.accumulatedServiceDifference(), EPS);
        assertEquals(20 / 15.5, end.demandRate()[b], EPS, "B1's demand settled to 10 + 2 x 5");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void snapshot_randomWorkload_matchesIndependentLedger(long seed) {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler s = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).kvCache(256, 16).tokenBudget(512).build();
        FairnessOptions o = new FairnessOptions(1, 0, 30, 1, 2, -1, Map.of("t1", 2.0));
        FairnessTracker tracker = FairnessTracker.create(e.ticker, o, 30);
        Ledger ledger = new Ledger(e);
        s.addListener(tracker);
        s.addListener(ledger);
        List<Arrival> workload = ScriptedEngine.randomWorkload(seed, 300, 3, 6, 300, 200);
        e.drive(s, workload, tracker::onSubmitted).runToEnd();
        for (RequestHandle h : e.handles) {
            assertTrue(h.status().isTerminal(), h + " not terminal");
        }
        FairnessSnapshot snap = tracker.snapshot();
        double a = snap.windowStartNanos() / 1e9;
        double b = snap.atNanos() / 1e9;
        assertTrue(b - a > 29 && b - a <= 30, "window " + a + ".." + b);
        // the offline timeline is an independent implementation of cumulative service and of demand
        ServiceTimeline tl = ServiceTimeline.of(records(e.handles), 1, 2, -1);
        String[] tenants = {"t0", "t1", "t2"};
        double[] rates = new double[3];
        double[] demands = new double[3];
        double[] served = new double[3];
        double[] outstanding = new double[3];
        double[] ws = new double[3];
        int k = 0;
        for (int q = 0; q < 3; q++) {
            String t = tenants[q];
            int i = snap.indexOf(t);
            int j = tl.indexOf(t);
            double w = o.weight(t);
            assertEquals(tl.cumulative(j, 1e12) / w, snap.service()[i], 1e-6, t + " cumulative service");
            assertEquals(tl.demand(j, a, b) / w, snap.demandRate()[i] * (b - a), 1e-6, t + " windowed demand");
            double svc = ledger.service(t, snap.windowStartNanos(), snap.atNanos());
            assertEquals(svc / w, snap.serviceRate()[i] * (b - a), 1e-6, t + " windowed service");
            rates[q] = svc / (b - a) / w;
            demands[q] = tl.demand(j, a, b) / (b - a) / w;
            boolean backlogged = tl.backlogged(j, a, b);
            assertEquals(backlogged, snap.backlogged()[i], t + " backlogged");
            if (backlogged) {
                served[k] = svc;
                outstanding[k] = tl.outstanding(j, a, b);
                ws[k++] = w;
            }
        }
        assertEquals(FairnessMetrics.serviceDifference(rates, demands), snap.serviceDifference(), 1e-6);
        double expectedJain = FairnessMetrics.demandNormalisedJain(java.util.Arrays.copyOf(served, k),
                java.util.Arrays.copyOf(outstanding, k), java.util.Arrays.copyOf(ws, k));
        assertEquals(expectedJain, snap.jain(), 1e-9);
    }

    @Test
    void snapshot_idleLongerThanWindow_ratesFallToZeroAndCumulativeStays() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, handWorkload(), tracker::onSubmitted).runToEnd();
        e.now += 21_000_000_000L;
        FairnessSnapshot snap = tracker.snapshot();
        assertEquals(40, snap.service()[snap.indexOf("A")], EPS);
        assertEquals(20, snap.service()[snap.indexOf("B")], EPS);
        for (int i = 0; i < snap.tenants().length; i++) {
            assertEquals(0, snap.serviceRate()[i], EPS);
            assertEquals(0, snap.demandRate()[i], EPS);
            assertFalse(snap.backlogged()[i]);
        }
        assertEquals(0, snap.serviceDifference(), EPS);
        assertTrue(Double.isNaN(snap.jain()), "nobody backlogged");
    }

    @Test
    void snapshot_withoutSubmissions_serviceCountedDemandZeroJainNaN() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, handWorkload(), h -> { }).runUntil(10);
        FairnessSnapshot snap = tracker.snapshot();
        assertEquals(40, snap.service()[snap.indexOf("A")], EPS);
        assertEquals(0, snap.demandRate()[snap.indexOf("A")], EPS);
        assertTrue(Double.isNaN(snap.jain()));
        assertEquals(-1, snap.indexOf("B"), "B produced nothing and its arrival was not fed");
    }

    @Test
    void snapshot_cancelledWhileWaiting_demandIsItsPromptAndNoService() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, List.of(), tracker::onSubmitted);
        RequestHandle h = e.submit(new Arrival(0, "C", 7, 3, 9));
        assertTrue(h.cancel());
        e.now = 2_000_000_000L;
        s.nextBatch(); // drains the cancel; nothing runs
        FairnessSnapshot snap = tracker.snapshot();
        int c = snap.indexOf("C");
        assertEquals(0, snap.service()[c], EPS);
        assertEquals(7 / 2.0, snap.demandRate()[c], EPS, "arrival 7 + 2 x 9, settled to 7 + 2 x 0");
        assertTrue(snap.backlogged()[c], "it waited from 0 until its cancel was applied at 2 s");
    }

    /**
     * Requests never reported to onSubmitted (submitted before the tracker listened, or past the decorator) beside
     * reported ones: their first tokens and ends settle nothing, so demand never goes negative and a reported
     * request of the same tenant still counts as a backlog.
     */
    @Test
    void snapshot_unreportedRequestsBesideReportedOnes_demandAndBacklogOnlyFromReported() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, List.of(), h -> { });
        e.submit(new Arrival(0, "A", 10, 2, 8)); // unreported: first token at 1, ends at 2
        e.submit(new Arrival(0, "A", 10, 2, 8)); // unreported: first token at 3, ends at 4
        tracker.onSubmitted(e.submit(new Arrival(0, "A", 10, 2, 8))); // reported: waits until its first token at 5
        e.runUntil(4);
        assertEquals(4_000_000_000L, e.now);
        FairnessSnapshot snap = tracker.snapshot();
        int a = snap.indexOf("A");
        assertTrue(snap.backlogged()[a], "the reported request waits");
        assertEquals((10 + 2 * 8) / 4.0, snap.demandRate()[a], EPS, "only the reported arrival, 10 + 2 x 8, over 4 s");
        e.runToEnd();
        snap = tracker.snapshot();
        assertEquals((10 + 2 * 2) / 6.0, snap.demandRate()[a], EPS, "settled to its 2 tokens; the others add nothing");
    }

    /** A report that arrives after the engine started or even ended the request counts it as it is then. */
    @Test
    void snapshot_reportArrivingAfterTheFirstTokenOrTheEnd_countedOnceAsItIsThen() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, List.of(), h -> { });
        RequestHandle ended = e.submit(new Arrival(0, "A", 10, 1, 8)); // ends in its first step
        RequestHandle started = e.submit(new Arrival(0, "B", 10, 3, 8)); // first token at 2, ends at 4
        e.runUntil(2);
        assertEquals(RequestStatus.FINISHED, ended.status());
        assertTrue(started.firstTokenAtNanos() >= 0 && started.status() == RequestStatus.RUNNING);
        tracker.onSubmitted(ended);
        tracker.onSubmitted(started);
        e.runToEnd();
        e.now = 5_000_000_000L;
        FairnessSnapshot snap = tracker.snapshot();
        int a = snap.indexOf("A");
        int b = snap.indexOf("B");
        assertEquals((10 + 2 * 1) / 5.0, snap.demandRate()[a], EPS, "counted at its actual cost");
        assertEquals((10 + 2 * 3) / 5.0, snap.demandRate()[b], EPS, "counted at its cap, settled at its end");
        e.now = 30_000_000_000L; // long after: nobody may still count as backlogged
        snap = tracker.snapshot();
        assertFalse(snap.backlogged()[a] || snap.backlogged()[b], "a late report left a tenant backlogged");
    }

    @Test
    void snapshot_nothingRecordedSameBucket_returnsCachedSnapshot() {
        ScriptedEngine e = new ScriptedEngine(1.0, 0);
        Scheduler s = fcfsOneAtATime(e);
        FairnessTracker tracker = tracked(s, e);
        e.drive(s, handWorkload(), tracker::onSubmitted).runUntil(3);
        FairnessSnapshot first = tracker.snapshot();
        assertSame(first, tracker.snapshot());
        e.now += 1_000_000_000L;
        FairnessSnapshot later = tracker.snapshot();
        assertTrue(later != first && later.atNanos() > first.atNanos(), "a new bucket gives a new snapshot");
    }

    @Test
    void snapshot_beforeAnyEvent_emptyAndNaNJain() {
        FairnessTracker tracker = FairnessTracker.create(() -> 5L);
        FairnessSnapshot snap = tracker.snapshot();
        assertEquals(0, snap.tenants().length);
        assertEquals(0, snap.serviceDifference(), EPS);
        assertTrue(Double.isNaN(snap.jain()));
    }

    @Test
    void create_badBuckets_throws() {
        assertThrows(IllegalArgumentException.class, () -> FairnessTracker.create(() -> 0L, FairnessOptions.vtcArtifact(), 0));
        assertThrows(NullPointerException.class, () -> FairnessTracker.create(null));
    }

    @Test
    void onStep_steadyState_allocatesNothing() {
        Allocations alloc = Allocations.ofCurrentThread();
        ScriptedEngine e = new ScriptedEngine(0.01, 0);
        Scheduler s = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        FairnessTracker tracker = FairnessTracker.create(e.ticker);
        s.addListener(tracker);
        List<Arrival> w = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            w.add(new Arrival(0, "t" + (i % 8), 32, 1_000_000, 200));
        }
        e.drive(s, w, tracker::onSubmitted).runUntil(1.0); // every request admitted and decoding
        Batch b = s.nextBatch();
        e.now += 10_000_000L;
        s.complete(b, 10_000_000L, Double.NaN);
        assertEquals(64, b.decodeCount());
        for (int i = 0; i < 20_000; i++) { // warm up: JIT, and the ring rotates through every bucket
            e.now += 10_000_000L;
            tracker.onStep(b, 10_000_000L, Double.NaN);
        }
        alloc.reset();
        for (int i = 0; i < 20_000; i++) {
            e.now += 10_000_000L;
            tracker.onStep(b, 10_000_000L, Double.NaN);
        }
        long allocated = alloc.bytes();
        // one object per call would be >= 16 x 20,000 = 320,000 bytes; a few hundred come from JIT transitions
        assertTrue(allocated < 4096, allocated + " bytes allocated by 20,000 onStep calls of 64 decodes (200 bucket rotations)");
    }

    @Test
    void snapshot_readWhileEngineRuns_cumulativeNeverDecreases() throws Exception {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler s = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        FairnessTracker tracker = FairnessTracker.create(e.ticker, window20(), 20); // read racily by the reader
        s.addListener(tracker);
        List<Arrival> w = ScriptedEngine.randomWorkload(7, 3000, 4, 50, 100, 50);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        java.util.concurrent.CountDownLatch firstRead = new java.util.concurrent.CountDownLatch(1);
        Thread engine = new Thread(() -> {
            try {
                firstRead.await(10, java.util.concurrent.TimeUnit.SECONDS); // start once the reader reads, so they overlap
                e.drive(s, w, tracker::onSubmitted).runToEnd();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        engine.start();
        double[] last = new double[8];
        int reads = 0;
        while (engine.isAlive() || reads == 0) {
            FairnessSnapshot snap = tracker.snapshot();
            for (int i = 0; i < snap.tenants().length; i++) {
                if (snap.tenants()[i] != null) {
                    assertTrue(snap.service()[i] >= last[i], "tenant " + i + " service went back");
                    last[i] = snap.service()[i];
                }
            }
            reads++;
            firstRead.countDown();
        }
        engine.join();
        assertNull(failure.get());
        FairnessSnapshot end = tracker.snapshot();
        double total = 0;
        for (double v : end.service()) {
            total += v;
        }
        double expected = 0;
        for (RequestHandle h : e.handles) {
            expected += h.firstTokenAtNanos() >= 0 ? h.spec().promptTokens() + 2.0 * h.generatedTokens() : 0;
        }
        assertEquals(expected, total, 1e-6);
        assertTrue(reads > 1, "the reader ran concurrently");
    }

    /** Records of the finished run, for the offline timeline. */
    private static List<FairnessRecord> records(List<RequestHandle> handles) {
        List<FairnessRecord> list = new ArrayList<>();
        for (RequestHandle h : handles) {
            boolean served = h.firstTokenAtNanos() >= 0;
            list.add(new FairnessRecord(h.tenant(), h.queuedAtNanos() / 1e9, served ? h.firstTokenAtNanos() / 1e9 : Double.NaN,
                    served ? h.finishedAtNanos() / 1e9 : Double.NaN, h.spec().promptTokens(), h.generatedTokens()));
        }
        return list;
    }

    /**
     * The test's own account of when service was delivered (prompt cost at the first token, 2 per output token at
     * the end of the step that produced it), written independently of the tracker.
     */
    private static final class Ledger implements RequestListener {
        private final ScriptedEngine engine;
        private final List<Object[]> events = new ArrayList<>();

        Ledger(ScriptedEngine engine) {
            this.engine = engine;
        }

        @Override
        public void onFirstToken(RequestHandle r) {
            events.add(new Object[] {r.tenant(), r.firstTokenAtNanos(), (double) r.spec().promptTokens()});
        }

        @Override
        public void onStep(Batch b, long durationNanos, double gpuUtilization) {
            for (int i = 0; i < b.size(); i++) {
                if (b.produced(i) > 0) {
                    events.add(new Object[] {b.request(i).tenant(), engine.now, 2.0 * b.produced(i)});
                }
            }
        }

        double service(String tenant, long fromNanos, long toNanos) {
            double s = 0;
            for (Object[] ev : events) {
                long t = (Long) ev[1];
                if (ev[0].equals(tenant) && t >= fromNanos && t <= toNanos) {
                    s += (Double) ev[2];
                }
            }
            return s;
        }
    }

    @Test
    void onSubmitted_null_throws() {
        FairnessTracker tracker = FairnessTracker.create(() -> 0L);
        assertThrows(NullPointerException.class, () -> tracker.onSubmitted(null));
    }
}

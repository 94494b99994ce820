package dev.equinox.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.bench.report.Comparison;
import dev.equinox.bench.report.RequestCsvReporter;
import dev.equinox.bench.report.RunSummary;
import dev.equinox.bench.workload.VtcSuites;
import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {

    private static Workload small() throws Exception {
        // 3 minutes of the bundled Azure-derived workload: heterogeneous lengths, 4 tenants
        return Workloads.load("default?to=180", 42);
    }

    @Test
    void run_everyPolicy_everyRequestFinishesWithItsTrueOutput() throws Exception {
        Workload w = small();
        for (String p : List.of("fcfs", "vtc", "equinox")) {
            SimResult r = Simulator.run(w, SimConfig.defaults().withPolicy(p));
            long tokens = 0;
            long expected = 0;
            for (int i = 0; i < w.size(); i++) {
                assertTrue(r.accepted()[i], p + ": request " + i + " rejected");
                assertFalse(Double.isNaN(r.finishedAt()[i]), p + ": request " + i + " never finished");
                assertTrue(r.firstTokenAt()[i] >= w.arrival(i) - 1e-9, p + ": first token before arrival");
                assertTrue(r.finishedAt()[i] >= r.firstTokenAt()[i], p + ": finish before first token");
                assertEquals(w.output(i), r.generated()[i], p + ": request " + i + " output");
                tokens += r.generated()[i];
                expected += w.output(i);
            }
            assertEquals(expected, tokens);
            assertEquals(expected, r.stats().generationTokens(), p + ": scheduler's token count");
            assertEquals(w.size(), r.stats().finished(), p);
            assertEquals(0, r.stats().running() + r.stats().waiting(), p);
        }
    }

    @Test
    void run_requestLargerThanTheKvCache_rejectedAndCountedWhileTheRestFinish() {
        Workload w = Workload.builder("too-large")
                .add(0, "a", 0.0, 100, 20)
                .add(1, "b", 0.1, 1000, 100) // 1,100 tokens: more than the 64 x 16 = 1,024-token cache
                .add(2, "a", 0.2, 200, 30)
                .build();
        SimResult r = Simulator.run(w, SimConfig.defaults().withPolicy("vtc").withKv(64, 16));
        assertTrue(r.accepted()[0]);
        assertFalse(r.accepted()[1], "1,100 tokens cannot fit a 1,024-token KV cache");
        assertTrue(r.accepted()[2]);
        assertEquals(1, r.stats().rejected());
        assertEquals(2, r.stats().finished());
        assertEquals(20, r.generated()[0]);
        assertEquals(30, r.generated()[2]);
    }

    @Test
    void run_sameSeedTwice_identicalPerRequestCsv() throws Exception {
        Workload w = small();
        SimConfig c = SimConfig.defaults().withPolicy("equinox").withPredictor("oracle50");
        String a = csv(w, Simulator.run(w, c));
        String b = csv(Workloads.load("default?to=180", 42), Simulator.run(Workloads.load("default?to=180", 42), c));
        assertEquals(a, b);
    }

    private static String csv(Workload w, SimResult r) {
        StringWriter sw = new StringWriter();
        RequestCsvReporter.write(Comparison.of(w, List.of(r)), sw);
        return sw.toString();
    }

    @Test
    void vtcReference_overloadTwoTenants_fcfsServiceDifferenceAtLeastThreeTimesVtc() {
        Workload w = VtcSuites.generate("overload", 42);
        RunSummary fcfs = RunSummary.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("fcfs")));
        RunSummary vtc = RunSummary.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("vtc")));
        assertTrue(fcfs.avgServiceDiff() >= 3 * vtc.avgServiceDiff(),
                "fcfs avg SD " + fcfs.avgServiceDiff() + " vs vtc " + vtc.avgServiceDiff());
        assertEquals(fcfs.outTokPerSec(), vtc.outTokPerSec(), 0.05 * fcfs.outTokPerSec());
        assertEquals(1620, vtc.finished());
    }

    @Test
    void vtcReference_overload_serviceDifferenceNearArtifactNumbers() {
        // VTC's artifact (A10G, KV 10,000 tokens): VTC 195/119, FCFS 453/436 (max/avg service difference)
        Workload w = VtcSuites.generate("overload", 42);
        RunSummary vtc = RunSummary.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("vtc")));
        RunSummary fcfs = RunSummary.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("fcfs")));
        assertEquals(195, vtc.maxServiceDiff(), 0.15 * 195, "vtc max");
        assertEquals(119, vtc.avgServiceDiff(), 0.15 * 119, "vtc avg");
        assertEquals(453, fcfs.maxServiceDiff(), 0.15 * 453, "fcfs max");
        assertEquals(436, fcfs.avgServiceDiff(), 0.15 * 436, "fcfs avg");
    }

    @Test
    void run_vtcReferenceMode_neverPreempts() {
        Workload w = VtcSuites.generate("overload-multi", 42);
        SimResult r = Simulator.run(w, SimConfig.vtcReference().withPolicy("vtc"));
        assertEquals(0, r.stats().preemptions());
        assertEquals(w.size(), r.finishedCount());
    }

    @Test
    void run_progressObserver_reachesTotal() {
        Workload w = VtcSuites.generate("overload", 1);
        long[] last = new long[2];
        Simulator.run(w, SimConfig.defaults(), (done, total, t) -> {
            last[0] = done;
            last[1] = total;
        });
        assertEquals(w.size(), last[0]);
        assertEquals(w.size(), last[1]);
    }

    @Test
    void addUtil_timeBeyondIntSeconds_clearErrorNotAnIndexOverflow() {
        double[] u = Simulator.addUtil(new double[16], 40.5, 1.0, 0.5);
        assertEquals(0.25, u[40], 1e-12);
        assertEquals(0.25, u[41], 1e-12);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Simulator.addUtil(new double[16], 3e9, 0.01, 1));
        assertTrue(e.getMessage().contains("virtual time"), e.getMessage());
    }

    @Test
    void costModel_missingProfile_illegalArgumentNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CostModelRegistry.create("profile:/nonexistent/p.csv"));
        assertTrue(e.getMessage().startsWith("cost model 'profile:/nonexistent/p.csv': "), e.getMessage());
    }

    @Test
    void effectiveTokenBudget_vtcReferenceMode_isTheArtifactsNotTheConfigured() {
        assertEquals(3072, SimConfig.vtcReference().effectiveTokenBudget());
        assertEquals(3072, SimConfig.vtcReference().withBudgets(9999, 1000).effectiveTokenBudget());
        assertEquals(131072 / 6, SimConfig.defaults().withMode(dev.equinox.BatchingMode.VTC_REFERENCE).effectiveTokenBudget());
        assertEquals(2048, SimConfig.defaults().effectiveTokenBudget());
    }
}

package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.FinishReason;
import dev.equinox.RequestStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeSummaryTest {
    private static GpuHostEngine.Outcome outcome(long id, String tenant, RequestStatus st, int out, int preempt, double arrival,
            double first, double finish) {
        return new GpuHostEngine.Outcome(id, tenant, st, st == RequestStatus.FINISHED ? FinishReason.STOP : FinishReason.NONE, 10, out,
                preempt, arrival, Double.NaN, Double.NaN, first, finish, new int[0]);
    }

    @Test
    void cells_handComputedRun_matchTheSimulatorsDefinitions() {
        List<GpuHostEngine.Outcome> os = List.of(
                outcome(1, "a", RequestStatus.FINISHED, 5, 0, 0.0, 1.0, 3.0),
                outcome(2, "b", RequestStatus.FINISHED, 3, 1, 1.0, 1.5, 2.5),
                outcome(3, "a", RequestStatus.RUNNING, 2, 0, 2.0, 2.5, Double.NaN));
        GpuHostEngine.Report r = new GpuHostEngine.Report("test", 3, 1, 2, 10, 0, 30, 10, 4.0, 3.5, 3.0, 0.9, Map.of(), os);
        String[] c = ServeSummary.cells("vtc", r, Map.of());
        assertEquals(ServeSummary.HEADER.length, c.length);
        assertEquals("vtc", c[0]);
        assertEquals("2/4", c[1], "the rejected request counts in the workload, as in the simulator");
        assertEquals("0.50", c[2], "2 finished over the 4 s run");
        assertEquals("2", c[3], "the finished requests' 8 output tokens over 4 s");
        assertEquals("0.50", c[4], "TTFT p50 of 1.0, 0.5, 0.5 (every request with a first token)");
        assertEquals("0.90", c[5], "TTFT p90, interpolated");
        assertEquals("2.25", c[7], "e2e p50 of 3.0 and 1.5 (finished only)");
        assertEquals("500.0ms", c[10], "TPOT of both finished requests: 0.5 s");
        assertEquals("90.0%", c[11]);
        assertEquals("1", c[16]);
        // fairness by hand, VTC's artifact rules (cost = 1 * prompt + 2 * output, 100 ticks, 30 s warm-up, 60 s window),
        // the running request served until the run's end (4 s):
        //   costs: a#1 10 + 2*5 = 20 over [1, 3]; b#2 10 + 2*3 = 16 over [1.5, 2.5]; a#3 10 + 2*2 = 14 over [2.5, 4]
        //   T = int(last arrival 2) = 2 < warm-up 30: every tick is 0, every window [0 + 30 - 30, 0 + 30 + 30] = [0, 60]
        //   service per s: a (20 + 14) / 60, b 16 / 60; demand (arrivals in [0, 60]) the same: a 34 / 60, b 16 / 60
        //   service difference: a min(0, 0) + b min(34/60 - 16/60, |16/60 - 16/60| = 0) = 0 at every tick -> maxSD 0.0, avgSD 0.0
        //   accumulated service over [30, 30]: 0 for both -> maxAccSD 0
        //   Jain: both backlogged (a#1 waited over [0, 1], b#2 over [1, 1.5]); served a 34, b 16; outstanding a 34, b 16;
        //   water-fill 50 under caps (34, 16): b capped at 16, a gets 34; x = (34/34, 16/16) = (1, 1) -> 1.000
        assertEquals("0.0", c[12]);
        assertEquals("0.0", c[13]);
        assertEquals("0", c[14]);
        assertEquals("1.000", c[15]);
    }

    private static GpuHostEngine.Outcome waiting(long id, String tenant, int prompt, double arrival) {
        return new GpuHostEngine.Outcome(id, tenant, RequestStatus.QUEUED, FinishReason.NONE, prompt, 0, 0, arrival, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, new int[0]);
    }

    @Test
    void cells_tenantWithUnservedRequest_handComputedServiceDifferenceAndJain() {
        List<GpuHostEngine.Outcome> os = List.of(
                outcome(1, "a", RequestStatus.FINISHED, 295, 0, 0.0, 1.0, 3.0),
                outcome(2, "b", RequestStatus.FINISHED, 55, 0, 1.0, 1.5, 2.5),
                waiting(3, "b", 600, 2.0));
        GpuHostEngine.Report r = new GpuHostEngine.Report("test", 3, 0, 2, 10, 0, 620, 350, 4.0, 3.5, 3.0, Double.NaN, Map.of(), os);
        String[] c = ServeSummary.cells("equinox", r, Map.of());
        assertEquals("2/3", c[1]);
        assertEquals("-", c[11], "no NVML samples");
        // by hand (cost = 1 * prompt + 2 * output; every window is [0, 60] as above, T = int(2) = 2 < 30):
        //   a#1 10 + 2*295 = 600 served over [1, 3]; b#2 10 + 2*55 = 120 over [1.5, 2.5]; b#3 600 + 0 never served
        //   service per s s = (a 600/60, b 120/60) = (10, 2); demand r = (a 600/60, b (120 + 600)/60) = (10, 12)
        //   difference: a min(10 - 10, |10 - 10|) = 0; b min(10 - 2, |12 - 2|) = 8 -> 8 at every tick: maxSD 8.0, avgSD 8.0
        //   Jain: both backlogged; served (600, 120); outstanding (600, 720); caps max(served, outstanding) = (600, 720);
        //   water-fill 720: level 360 caps nobody -> shares (360, 360); x = (600/360, 120/360) = (5/3, 1/3);
        //   J = (5/3 + 1/3)^2 / (2 * (25/9 + 1/9)) = 4 / (52/9) = 9/13 = 0.6923
        assertEquals("8.0", c[12]);
        assertEquals("8.0", c[13]);
        assertEquals("0", c[14]);
        assertEquals("0.692", c[15]);
        // tenant b's weight 2 halves its service and demand rates: s = (10, 1), r = (10, 6): b min(9, 5) = 5
        String[] w = ServeSummary.cells("equinox", r, Map.of("b", 2.0));
        assertEquals("5.0", w[12]);
        // Jain with weights (1, 2): level 720/3 = 240 -> shares (240, 480), both under their caps; x = (2.5, 0.25);
        // J = 2.75^2 / (2 * (6.25 + 0.0625)) = 7.5625 / 12.625 = 0.5990
        assertEquals("0.599", w[15]);
    }

    @Test
    void print_alignsTheHeaderAndTheRow() {
        StringWriter sw = new StringWriter();
        String[] row = new String[ServeSummary.HEADER.length];
        java.util.Arrays.fill(row, "1");
        row[0] = "equinox";
        ServeSummary.print(new PrintWriter(sw, true), row);
        String[] lines = sw.toString().split("\\R");
        assertEquals(2, lines.length);
        assertTrue(lines[0].startsWith("run    "), lines[0]);
        assertEquals(lines[0].length(), lines[1].length());
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, Double.NaN}, dev.equinox.metrics.ServingStats.percentiles(new double[0], 0));
    }

    @Test
    void serveBench_printsTheSimulatorsColumnsForAServedTrace(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("w.csv");
        Files.writeString(trace, "#weight b=2\nreq_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,0,8,3\n1,b,0,5,4\n2,a,0,6,2\n");
        StringWriter sw = new StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new ServeBenchCommand());
        cl.setOut(new PrintWriter(sw, true));
        int rc = cl.execute("--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--max-context", "512", "--policy", "vtc",
                "--trace", trace.toString());
        assertEquals(0, rc);
        String text = sw.toString();
        assertTrue(text.contains("as the simulator's table (equinox replay):"), text);
        String[] lines = text.split("\\R");
        int h = -1;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("run ")) {
                h = i;
            }
        }
        assertTrue(h >= 0 && h + 1 < lines.length, text);
        assertTrue(lines[h].contains("maxSD") && lines[h].contains("jain"), lines[h]);
        String[] cells = lines[h + 1].trim().split("\\s+");
        assertEquals("vtc", cells[0]);
        assertEquals("3/3", cells[1]);
    }

    @Test
    void serveBench_costProfile_isFittedOrRefusedWithExitTwo(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("w.csv");
        Files.writeString(trace, "req_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,0,8,3\n1,b,0,5,4\n");
        Path profile = dir.resolve("p.csv");
        Files.writeString(profile, "prefill_tokens,decode_seqs,decode_context_tokens,step_ms\n512,0,0,40\n0,32,32768,13\n256,0,0,21\n"
                + "0,8,4096,11\n1024,16,8192,90\n");
        String[] common = {"--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--max-context", "512", "--policy", "equinox",
            "--trace", trace.toString()};
        String[] ok = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--cost-profile",
                profile.toString())).toArray(String[]::new);
        // the cost model only prices requests inside the scheduler (the Equinox policy's RFC; the util column shows NVML,
        // not the model): nothing printed depends on it, so check the fitted run is whole and a bad profile is parsed
        // (refused for its content, not only for its absence)
        StringWriter okOut = new StringWriter();
        picocli.CommandLine okCl = new picocli.CommandLine(new ServeBenchCommand());
        okCl.setOut(new PrintWriter(okOut, true));
        assertEquals(0, okCl.execute(ok));
        assertTrue(okOut.toString().contains("requests 2 (rejected 0, finished 2)"), okOut.toString());
        assertTrue(okOut.toString().contains("as the simulator's table (equinox replay):"), okOut.toString());
        Path oneRow = dir.resolve("one-row.csv");
        Files.writeString(oneRow, "prefill_tokens,decode_seqs,decode_context_tokens,step_ms\n512,0,0,40\n");
        String[] bad = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--cost-profile",
                oneRow.toString())).toArray(String[]::new);
        StringWriter badErr = new StringWriter();
        picocli.CommandLine badCl = new picocli.CommandLine(new ServeBenchCommand());
        badCl.setErr(new PrintWriter(badErr, true));
        assertEquals(2, badCl.execute(bad));
        assertTrue(badErr.toString().contains("cannot use --cost-profile") && badErr.toString().contains("at least 2 measured steps"),
                badErr.toString());
        String[] missing = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--cost-profile",
                dir.resolve("absent.csv").toString())).toArray(String[]::new);
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new ServeBenchCommand());
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute(missing));
        assertTrue(err.toString().contains("--cost-profile") && err.toString().contains("no such file"), err.toString());
    }
}

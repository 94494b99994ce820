package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.FinishReason;
import dev.equinox.RequestStatus;
import dev.equinox.metrics.FairnessMetrics;
import dev.equinox.metrics.FairnessOptions;
import dev.equinox.metrics.FairnessRecord;
import dev.equinox.metrics.FairnessReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
        // fairness: FairnessMetrics over the same requests, the running one served until the run's end (4 s)
        FairnessReport f = FairnessMetrics.compute(List.of(new FairnessRecord("a", 0, 1, 3, 10, 5), new FairnessRecord("b", 1, 1.5, 2.5, 10, 3),
                new FairnessRecord("a", 2, 2.5, 4, 10, 2)), FairnessOptions.vtcArtifact());
        assertEquals(String.format(Locale.ROOT, "%.1f", f.maxServiceDifference()), c[12]);
        assertEquals(String.format(Locale.ROOT, "%.3f", f.meanJain()), c[15]);
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
    void serveBench_costProfile_isFittedOrRefusedWithExitOne(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("w.csv");
        Files.writeString(trace, "req_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,0,8,3\n1,b,0,5,4\n");
        Path profile = dir.resolve("p.csv");
        Files.writeString(profile, "prefill_tokens,decode_seqs,decode_context_tokens,step_ms\n512,0,0,40\n0,32,32768,13\n256,0,0,21\n"
                + "0,8,4096,11\n1024,16,8192,90\n");
        String[] common = {"--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--max-context", "512", "--policy", "equinox",
            "--trace", trace.toString()};
        String[] ok = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--cost-profile",
                profile.toString())).toArray(String[]::new);
        assertEquals(0, new picocli.CommandLine(new ServeBenchCommand()).execute(ok));
        String[] missing = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--cost-profile",
                dir.resolve("absent.csv").toString())).toArray(String[]::new);
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new ServeBenchCommand());
        cl.setErr(new PrintWriter(err, true));
        assertEquals(1, cl.execute(missing));
        assertTrue(err.toString().contains("cannot use --cost-profile"), err.toString());
    }
}

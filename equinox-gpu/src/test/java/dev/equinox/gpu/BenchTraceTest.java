package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTraceTest {
    private static BenchTrace parse(String text) throws Exception {
        return BenchTrace.read(new BufferedReader(new StringReader(text)), "t.csv");
    }

    private static void assertRejected(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(text));
        assertTrue(e.getMessage().contains(message), () -> "message '" + e.getMessage() + "' lacks '" + message + "'");
    }

    @Test
    void read_exportFormat_givesRequestsInFileOrderAndWeights() throws Exception {
        BenchTrace t = parse("# VTC synthetic suite overload\n#weight t1=2.0\nreq_id,tenant,arrival_s,input_tokens,output_tokens\n"
                + "0,t0,0.000000,256,256\n\n1,t1,0.333333,128,64\n");
        assertEquals(List.of(new BenchRequest(0, "t0", 256, 256), new BenchRequest(0.333333, "t1", 128, 64)), t.requests());
        assertEquals(Map.of("t1", 2.0), t.weights());
    }

    @Test
    void serveBench_trace_servesEveryTraceRequestOnTheCpuReference(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("w.csv");
        Files.writeString(trace, "req_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,0,8,3\n1,b,0,5,4\n2,a,0.01,6,2\n");
        Path csv = dir.resolve("out.csv");
        int rc = new picocli.CommandLine(new ServeBenchCommand()).execute("--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--max-context", "512",
                "--trace", trace.toString(), "--csv", csv.toString());
        assertEquals(0, rc);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("request_id,tenant,status,finish_reason,prompt_tokens,output_tokens,preemptions,arrival_s,ttft_s,latency_s,"
                + "first_token_s,finish_s", lines.get(0));
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).startsWith("0,a,FINISHED,STOP,8,3,0,0.000000,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("1,b,FINISHED,STOP,5,4,0,0.000000,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("2,a,FINISHED,STOP,6,2,0,0.010000,"), lines.get(3));
        for (String row : lines.subList(1, 4)) {
            String[] f = row.split(",");
            double arrival = Double.parseDouble(f[7]);
            double first = Double.parseDouble(f[10]);
            double finish = Double.parseDouble(f[11]);
            assertTrue(first >= arrival && finish >= first, "arrival <= first token <= finish on the run's clock: " + row);
        }
    }

    @Test
    void serveBench_unreadableTrace_exitsTwoNamingTheProblem(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("bad.csv");
        Files.writeString(trace, "req_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,soon,8,3\n");
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new ServeBenchCommand());
        cl.setErr(new java.io.PrintWriter(err, true));
        int rc = cl.execute("--backend", "cpu", "--model", "tiny", "--trace", trace.toString());
        assertEquals(2, rc, err.toString());
        assertTrue(err.toString().startsWith("serve-bench: cannot read --trace ") && err.toString().contains("arrival_s"), err.toString());
    }

    @Test
    void read_malformed_namesFileLineAndField() {
        String h = "req_id,tenant,arrival_s,input_tokens,output_tokens\n";
        assertRejected("0,a,0,1,1\n", "t.csv:1: expected the header");
        assertRejected(h + "0,a,x,1,1\n", "t.csv:2: arrival_s: expected a number, got 'x'");
        assertRejected(h + "0,a,0,1\n", "t.csv:2: expected 5 fields");
        assertRejected(h + "0,a,0,1.5,1\n", "must be integers");
        assertRejected(h + "0,a,0,0,1\n", "t.csv:2: promptTokens and outputTokens must be > 0");
        assertRejected("#weight a=-1\n" + h, "t.csv:1: weight must be finite and > 0");
        assertRejected("", "no header");
    }
}

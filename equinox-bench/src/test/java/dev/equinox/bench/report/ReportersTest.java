package dev.equinox.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.sim.Simulator;
import dev.equinox.bench.workload.VtcSuites;
import dev.equinox.bench.workload.Workload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportersTest {
    @TempDir
    Path dir;

    private static Comparison comparison() {
        Workload w = VtcSuites.generate("overload", 42).transform(0, 120, 1, 0, 0, 0);
        return Comparison.of(w, List.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("fcfs")),
                Simulator.run(w, SimConfig.vtcReference().withPolicy("vtc"))));
    }

    @Test
    void allReporters_twoRuns_writeTableCsvRequestsAndHtml() throws Exception {
        Comparison c = comparison();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TableReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8)).write(c);
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("fcfs+max-tokens") && table.contains("vtc+max-tokens"), table);

        Path csv = dir.resolve("s.csv");
        new CsvReporter(csv).write(c);
        new CsvReporter(csv).write(c);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(CsvReporter.HEADER, lines.get(0));
        assertEquals(5, lines.size(), "header once, then appended rows");

        Path req = dir.resolve("r.csv");
        new RequestCsvReporter(req).write(c);
        List<String> rl = Files.readAllLines(req);
        assertEquals(RequestCsvReporter.HEADER, rl.get(0));
        assertEquals(1 + 2 * c.workload().size(), rl.size());

        Path html = dir.resolve("r.html");
        new HtmlReporter(html).write(c);
        String h = Files.readString(html);
        assertTrue(h.contains("data:image/png;base64,"));
        assertTrue(h.contains("Accumulated service difference"));
    }

    @Test
    void csvText_commaQuoteOrNewline_quotedPerRfc4180() {
        assertEquals("plain", Fmt.csvText("plain"));
        assertEquals("\"acme, inc\"", Fmt.csvText("acme, inc"));
        assertEquals("\"say \"\"hi\"\"\"", Fmt.csvText("say \"hi\""));
        assertEquals("\"a\nb\"", Fmt.csvText("a\nb"));
    }

    @Test
    void requestCsv_tenantWithComma_rowKeepsItsColumns() throws Exception {
        Workload w = Workload.builder("commas, in names").add(0, "acme, inc", 0.0, 16, 4).add(1, "plain", 0.5, 16, 4).build();
        Comparison c = Comparison.of(w, List.of(Simulator.run(w, SimConfig.defaults().withPolicy("vtc"))));
        Path req = dir.resolve("r.csv");
        new RequestCsvReporter(req).write(c);
        List<String> rows = Files.readAllLines(req);
        int columns = RequestCsvReporter.HEADER.split(",").length;
        assertTrue(rows.get(1).contains("\"acme, inc\""), rows.get(1));
        for (String row : rows.subList(1, rows.size())) {
            // split on commas outside quotes
            assertEquals(columns, row.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1).length, row);
        }
        Path sum = dir.resolve("s.csv");
        new CsvReporter(sum).write(c);
        assertTrue(Files.readAllLines(sum).get(1).startsWith("\"commas, in names\","), "workload name quoted");
    }

    @Test
    void serviceMeasure_tokensOrLinearA10gModel_vtcPriceOrDecodeOverPrefillPerToken() {
        Workload w = Workload.builder("w").add(0, "a", 0, 256, 256).build();
        assertEquals(2.0, ServiceMeasure.TOKENS.outputTokenPrice(w, dev.equinox.cost.CostModels.vtcA10g()));
        // VTC's A10G model: prefill 0.00016 s per prompt token, decode 0.0006 s per sequence: 0.0006 / 0.00016
        assertEquals(3.75, ServiceMeasure.GPU.outputTokenPrice(w, dev.equinox.cost.CostModels.vtcA10g()), 1e-12);
    }

    @Test
    void comparison_gpuMeasure_fairnessPricedAndStatedUnderTheTable() {
        Workload w = VtcSuites.generate("overload", 42).transform(0, 120, 1, 0, 0, 0);
        List<dev.equinox.bench.sim.SimResult> runs = List.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("fcfs")));
        Comparison tokens = Comparison.of(w, runs);
        Comparison gpu = Comparison.of(w, runs, ServiceMeasure.GPU);
        assertEquals(3.75, gpu.outputTokenPrice(), 1e-12);
        // the same schedule, with output tokens priced 3.75 instead of 2: every request costs more service
        assertTrue(gpu.summaries().get(0).maxAccDiff() > tokens.summaries().get(0).maxAccDiff());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TableReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8)).write(gpu);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("output token 3.75"));
        assertTrue(MarkdownReporter.table(gpu).contains("output token 3.75"));
    }

    @Test
    void serveBench_onTheGpuModule_printsTheSimulatorsTableHeader(@TempDir Path dir) throws Exception {
        // equinox-gpu keeps its own copy of the column names (it cannot depend on this module): they must not drift
        Path trace = dir.resolve("w.csv");
        Files.writeString(trace, "req_id,tenant,arrival_s,input_tokens,output_tokens\n0,a,0,8,3\n1,b,0,5,4\n");
        java.io.StringWriter sw = new java.io.StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new dev.equinox.gpu.ServeBenchCommand());
        cl.setOut(new java.io.PrintWriter(sw, true));
        assertEquals(0, cl.execute("--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--max-context", "512", "--trace",
                trace.toString()));
        String header = sw.toString().lines().filter(l -> l.startsWith("run ")).findFirst().orElseThrow();
        assertEquals(String.join(" ", TableReporter.HEADER), String.join(" ", header.trim().split("\\s+")));
    }
}

package dev.equinox.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.sim.Simulator;
import dev.equinox.bench.workload.VtcSuites;
import dev.equinox.bench.workload.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MarkdownReporterTest {
    @TempDir
    Path dir;

    private static Comparison simulated() {
        Workload w = VtcSuites.generate("overload", 42).transform(0, 120, 1, 0, 0, 0);
        return Comparison.of(w, List.of(Simulator.run(w, SimConfig.vtcReference().withPolicy("fcfs")),
                Simulator.run(w, SimConfig.vtcReference().withPolicy("vtc"))));
    }

    /** A summary with the given headline numbers; everything else zero. */
    private static RunSummary summary(String policy, String predictor, double ttftP90, double avgSd, double maxSd, double outTok, double util,
            double jain) {
        double[] ttft = {ttftP90 / 2, ttftP90, ttftP90 * 2};
        return new RunSummary(policy + "+" + predictor, policy, predictor, 10, 10, 0, 100, 0.1, outTok, outTok * 2, ttft, ttft,
                new double[] {0.05, 0.05, 0.05}, util, maxSd, avgSd, 0, 0, jain, 0, 100, 0.01, null);
    }

    private static Comparison synthetic(String name, RunSummary... runs) {
        Workload w = Workload.builder(name).add(0, "a", 0, 16, 4).build();
        return new Comparison(w, List.of(), List.of(runs), ServiceMeasure.TOKENS, 2);
    }

    /** The cells of a markdown table row, split on unescaped pipes. */
    private static List<String> cells(String row) {
        String[] parts = row.split("(?<!\\\\)\\|", -1);
        List<String> out = new ArrayList<>();
        for (int i = 1; i < parts.length - 1; i++) {
            out.add(parts[i].trim());
        }
        return out;
    }

    private static List<String> tableRows(String markdown) {
        List<String> rows = new ArrayList<>();
        for (String line : markdown.split("\n")) {
            if (line.startsWith("|")) {
                rows.add(line);
            }
        }
        return rows;
    }

    @Test
    void write_twoRuns_headerSeparatorAndOneRowPerRun() throws Exception {
        Comparison c = simulated();
        Path md = dir.resolve("r.md");
        new MarkdownReporter(md).write(c);
        String text = Files.readString(md);
        List<String> rows = tableRows(text);
        assertEquals(2 + c.summaries().size(), rows.size(), text);
        assertEquals(TableReporter.HEADER.length, cells(rows.get(0)).size());
        assertTrue(rows.get(1).matches("\\|---\\|(---:\\|)+"), rows.get(1));

        for (int i = 0; i < c.summaries().size(); i++) {
            RunSummary s = c.summaries().get(i);
            List<String> md1 = cells(rows.get(2 + i));
            assertEquals(s.label(), md1.get(0));
            assertEquals(s.finished() + "/" + s.requests(), md1.get(1));
            assertEquals(String.format(Locale.ROOT, "%.1f", s.avgServiceDiff()), md1.get(13));
            assertEquals(String.format(Locale.ROOT, "%.3f", s.jain()), md1.get(15));
        }
        assertTrue(text.startsWith("`" + c.workload().name() + "` (" + c.workload().size() + " requests, 2 tenants"), text);
        assertTrue(text.contains("engine: ") && text.contains("VTC_REFERENCE"), text);
    }

    @Test
    void write_knownSummary_rowHasHandFormattedCells() throws Exception {
        // ttft p90 2.5 (p50 1.25, p99 5.0, e2e the same), avgSD 12.34, maxSD 56.78, 123.4 output tok/s, util 0.456,
        // jain 0.8764; the helper fixes 10/10 done, 0.1 req/s, tpot 0.05 s, maxAccSD 0, 0 preemptions
        Comparison c = synthetic("w", summary("vtc", "oracle", 2.5, 12.34, 56.78, 123.4, 0.456, 0.8764));
        Path md = dir.resolve("r.md");
        new MarkdownReporter(md).write(c);
        List<String> rows = tableRows(Files.readString(md));
        assertEquals(3, rows.size());
        assertEquals("| vtc+oracle | 10/10 | 0.10 | 123 | 1.25 | 2.50 | 5.00 | 1.25 | 2.50 | 5.00 | 50.0ms | 45.6% | 56.8 | 12.3 | 0 "
                + "| 0.876 | 0 |", rows.get(2));
    }

    @Test
    void write_twice_appendsBothTables() throws Exception {
        Comparison c = synthetic("w", summary("vtc", "oracle", 1, 1, 1, 1, 1, 1));
        Path md = dir.resolve("sub/r.md");
        new MarkdownReporter(md).write(c);
        new MarkdownReporter(md).write(c);
        assertEquals(6, tableRows(Files.readString(md)).size());
    }

    @Test
    void writeRatios_knownSummaries_eachColumnIsEquinoxOverVtc() throws Exception {
        Comparison c = synthetic("vtc:overload", summary("fcfs", "moving-average", 5, 50, 90, 100, 0.5, 0.5),
                summary("vtc", "moving-average", 20, 10, 40, 100, 0.5, 0.8), summary("equinox", "moving-average", 10, 15, 40, 130, 0.4, 0.9));
        Path md = dir.resolve("r.md");
        new MarkdownReporter(md).writeRatios(PolicyRatio.of(List.of(c), "equinox", "vtc"));
        List<String> rows = tableRows(Files.readString(md));
        assertEquals(3, rows.size());
        assertEquals(Arrays.asList(MarkdownReporter.RATIO_HEADER), cells(rows.get(0)));
        assertEquals(List.of("`vtc:overload`", "equinox+moving-average / vtc+moving-average", "0.50", "1.50", "1.00", "1.300", "0.800",
                "1.125", "0.900 / 0.800"), cells(rows.get(2)));
    }

    @Test
    void writeRatios_empty_writesNothing() throws Exception {
        Path md = dir.resolve("r.md");
        new MarkdownReporter(md).writeRatios(List.of());
        new MarkdownReporter(md).writeList(List.of());
        assertTrue(!Files.exists(md) || Files.readString(md).isEmpty());
    }

    @Test
    void policyRatio_severalPredictors_pairsRunsWithTheSamePredictor() {
        Comparison c = synthetic("w", summary("vtc", "oracle", 10, 1, 1, 1, 1, 1), summary("vtc", "moving-average", 20, 1, 1, 1, 1, 1),
                summary("equinox", "moving-average", 10, 1, 1, 1, 1, 1), summary("equinox", "oracle50", 10, 1, 1, 1, 1, 1));
        List<PolicyRatio> r = PolicyRatio.of(c, "equinox", "vtc");
        assertEquals(2, r.size());
        assertEquals("vtc+moving-average", r.get(0).denominator());
        assertEquals(0.5, r.get(0).ttftP90(), 1e-12);
        assertEquals("vtc+oracle", r.get(1).denominator(), "no vtc+oracle50: the first vtc run");
        assertEquals(1.0, r.get(1).ttftP90(), 1e-12);
        assertTrue(PolicyRatio.of(c, "equinox", "fcfs").isEmpty());
    }

    @Test
    void policyRatio_zeroDenominator_oneWhenBothZeroElseNaN() {
        PolicyRatio r = PolicyRatio.of("w", summary("equinox", "x", 1, 0, 3, 1, 1, 1), summary("vtc", "x", 1, 0, 0, 1, 1, 1));
        assertEquals(1.0, r.avgServiceDiff());
        assertTrue(Double.isNaN(r.maxServiceDiff()));
        String table = MarkdownReporter.ratioTable(List.of(r));
        assertEquals("-", cells(tableRows(table).get(2)).get(4));
    }

    @Test
    void table_labelWithPipe_escapedAndColumnCountKept() {
        Comparison c = synthetic("w", summary("a|b", "x", 1, 1, 1, 1, 1, 1));
        String row = tableRows(MarkdownReporter.table(c)).get(2);
        assertTrue(row.contains("a\\|b+x"), row);
        assertEquals(MarkdownReporter.HEADER.length, cells(row).size());
    }
}

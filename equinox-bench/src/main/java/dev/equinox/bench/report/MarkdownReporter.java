package dev.equinox.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * GitHub-flavoured markdown tables appended to a file ({@code --markdown FILE}), so that the tables of
 * {@code docs/results.md} are pasted from a command rather than converted by hand. {@link #write} appends one table per
 * comparison with the columns and the numbers of {@link TableReporter} (the cells are built by the same method), under
 * a line naming the workload and the engine; {@link #writeRatios} appends a table of {@link PolicyRatio}s (the suite's
 * Equinox / VTC summary); {@link #writeList} appends a bullet list (the sweep's best points). Appends, so a suite or
 * several commands collect into one file. Pipes inside cells are escaped.
 */
public final class MarkdownReporter implements Reporter {
    /** Column names, one per {@link TableReporter#HEADER} column (same order, units added). */
    static final String[] HEADER = {"run", "done", "req/s", "out tok/s", "TTFT p50 (s)", "TTFT p90 (s)", "TTFT p99 (s)", "e2e p50 (s)",
        "e2e p90 (s)", "e2e p99 (s)", "TPOT p50", "util", "max SD", "avg SD", "max acc SD", "Jain", "preempt"};

    /** Column names of the ratio table. */
    static final String[] RATIO_HEADER = {"workload", "runs", "TTFT p90", "avg SD", "max SD", "out tok/s", "util", "Jain", "Jain (each)"};

    private final Path path;

    public MarkdownReporter(Path path) {
        this.path = path;
    }

    @Override
    public void write(Comparison c) throws IOException {
        append(table(c));
    }

    /** Appends the ratio table, or nothing when {@code ratios} is empty. */
    public void writeRatios(List<PolicyRatio> ratios) throws IOException {
        if (!ratios.isEmpty()) {
            append(ratioTable(ratios));
        }
    }

    /** Appends a bullet list, one item per string, or nothing when {@code items} is empty. */
    public void writeList(List<String> items) throws IOException {
        if (items.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (String s : items) {
            sb.append("- ").append(s).append('\n');
        }
        append(sb.append('\n').toString());
    }

    /** One comparison as markdown: a line naming the workload and the engine, a blank line, the table, a blank line. */
    static String table(Comparison c) {
        StringBuilder sb = new StringBuilder();
        sb.append('`').append(c.workload().name()).append("` (").append(c.workload().size()).append(" requests, ")
                .append(c.workload().tenants().size()).append(" tenants; ").append(c.workload().description()).append(')');
        String engine = TableReporter.engine(c);
        if (!engine.isEmpty()) {
            sb.append("; engine: ").append(engine);
        }
        if (c.measure() == ServiceMeasure.GPU) {
            sb.append(String.format(java.util.Locale.ROOT, "; SD and Jain over service priced by GPU time (prompt token 1, output token %.2f)",
                    c.outputTokenPrice()));
        }
        sb.append("\n\n");
        row(sb, HEADER);
        separator(sb, 1, HEADER.length);
        for (RunSummary s : c.summaries()) {
            row(sb, TableReporter.cells(s));
        }
        return sb.append('\n').toString();
    }

    /**
     * Ratios as markdown: workload, the two runs, then p90 TTFT, average and maximum service difference, output
     * tokens/s, utilization and Jain's index as numerator / denominator, and both Jain indexes.
     */
    static String ratioTable(List<PolicyRatio> ratios) {
        StringBuilder sb = new StringBuilder();
        row(sb, RATIO_HEADER);
        separator(sb, 2, RATIO_HEADER.length);
        for (PolicyRatio r : ratios) {
            String[] c = r.cells();
            row(sb, new String[] {"`" + r.workload() + "`", r.numerator() + " / " + r.denominator(), c[0], c[1], c[2], c[3], c[4], c[5],
                Fmt.f(r.numeratorJain(), 3) + " / " + Fmt.f(r.denominatorJain(), 3)});
        }
        return sb.append('\n').toString();
    }

    /** A pipe inside a cell would end it, even inside a code span: GitHub wants it escaped. */
    static String escape(String s) {
        return s.replace("|", "\\|");
    }

    private static void row(StringBuilder sb, String[] cells) {
        sb.append('|');
        for (String cell : cells) {
            sb.append(' ').append(escape(cell)).append(" |");
        }
        sb.append('\n');
    }

    /** The first {@code text} columns left-aligned, the others (numbers) right-aligned. */
    private static void separator(StringBuilder sb, int text, int columns) {
        sb.append('|');
        for (int i = 0; i < columns; i++) {
            sb.append(i < text ? "---|" : "---:|");
        }
        sb.append('\n');
    }

    private void append(String text) throws IOException {
        if (path.toAbsolutePath().getParent() != null) {
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        Files.writeString(path, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}

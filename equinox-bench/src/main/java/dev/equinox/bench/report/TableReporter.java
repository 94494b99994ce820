package dev.equinox.bench.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A fixed-width table on a stream (stdout): one row per run. */
public final class TableReporter implements Reporter {
    static final String[] HEADER = {"run", "done", "req/s", "tok/s", "ttft p50", "ttft p90", "ttft p99", "e2e p50", "e2e p90",
        "e2e p99", "tpot p50", "util", "maxSD", "avgSD", "maxAccSD", "jain", "preempt"};

    private final PrintStream out;

    public TableReporter(PrintStream out) {
        this.out = out;
    }

    @Override
    public void write(Comparison c) {
        out.println("workload: " + c.workload().name() + " (" + c.workload().size() + " requests, " + c.workload().tenants().size()
                + " tenants; " + c.workload().description() + ")");
        if (!c.results().isEmpty()) {
            out.println("engine: " + engine(c));
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (RunSummary s : c.summaries()) {
            rows.add(cells(s));
        }
        int[] w = new int[HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                if (i == 0) {
                    sb.append(String.format("%-" + w[i] + "s", r[i]));
                } else {
                    sb.append("  ").append(String.format("%" + w[i] + "s", r[i]));
                }
            }
            out.println(sb);
        }
        out.println((c.measure() == ServiceMeasure.GPU
                ? String.format(java.util.Locale.ROOT, "service priced by GPU time: prompt token 1, output token %.2f (--service GPU); ", c.outputTokenPrice())
                : "") + "SD = VTC service difference (service cost/s, 60 s windows, artifact ticks); AccSD = accumulated service difference;"
                + " jain = Jain's index over demand-normalised service of backlogged tenants (see FairnessMetrics)");
        out.flush();
    }

    /**
     * Prints ratios under a title line, one line per ratio: workload, the two runs, then p90 TTFT, average and maximum
     * service difference, output tokens/s, utilization and Jain's index (numerator / denominator). Nothing when empty.
     */
    public void writeRatios(String title, List<PolicyRatio> ratios) {
        if (ratios.isEmpty()) {
            return;
        }
        out.println(title);
        int ww = 0;
        int rw = 0;
        for (PolicyRatio r : ratios) {
            ww = Math.max(ww, r.workload().length());
            rw = Math.max(rw, r.numerator().length() + 3 + r.denominator().length());
        }
        for (PolicyRatio r : ratios) {
            String[] c = r.cells();
            out.printf(Locale.ROOT, "  %-" + ww + "s  %-" + rw + "s  ttft_p90 %6s  avgSD %6s  maxSD %6s  tput %6s  util %6s  jain %6s%n",
                    r.workload(), r.numerator() + " / " + r.denominator(), c[0], c[1], c[2], c[3], c[4], c[5]);
        }
        out.flush();
    }

    /** The cells of one run's row, in {@link #HEADER}'s order; shared with {@link MarkdownReporter} so both show the same numbers. */
    static String[] cells(RunSummary s) {
        return new String[] {s.label(), s.finished() + "/" + s.requests(), Fmt.f(s.reqPerSec(), 2), Fmt.f(s.outTokPerSec(), 0),
            Fmt.f(s.ttft()[0], 2), Fmt.f(s.ttft()[1], 2), Fmt.f(s.ttft()[2], 2), Fmt.f(s.e2e()[0], 2), Fmt.f(s.e2e()[1], 2),
            Fmt.f(s.e2e()[2], 2), Fmt.f(s.tpot()[0] * 1000, 1) + "ms", Fmt.f(s.utilization() * 100, 1) + "%",
            Fmt.f(s.maxServiceDiff(), 1), Fmt.f(s.avgServiceDiff(), 1), Fmt.f(s.maxAccDiff(), 0), Fmt.f(s.jain(), 3),
            Long.toString(s.preemptions())};
    }

    /**
     * The engine line printed under the workload line: cost model, batching mode, KV tokens, token budget (the one the
     * scheduler applies: {@link dev.equinox.bench.sim.SimConfig#effectiveTokenBudget()}), max running.
     */
    static String engine(Comparison c) {
        if (c.results().isEmpty()) {
            return "";
        }
        var cfg = c.results().get(0).config();
        return c.results().get(0).costModel() + ", " + cfg.mode() + ", KV " + cfg.kvTokens() + " tokens, budget " + cfg.effectiveTokenBudget()
                + ", max running " + cfg.maxRunning();
    }
}

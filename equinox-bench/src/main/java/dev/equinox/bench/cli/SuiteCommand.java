package dev.equinox.bench.cli;

import dev.equinox.bench.report.Comparison;
import dev.equinox.bench.report.CsvReporter;
import dev.equinox.bench.report.HtmlReporter;
import dev.equinox.bench.report.MarkdownReporter;
import dev.equinox.bench.report.PolicyRatio;
import dev.equinox.bench.report.TableReporter;
import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.workload.VtcSuites;
import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code equinox suite}: every VTC synthetic suite, several policies. */
@Command(name = "suite", mixinStandardHelpOptions = true,
        description = "Runs VTC's synthetic suites (overload, overload-multi, overload-weighted, proportional, increase, on_off_less, "
                + "on_off_overload, poisson_short_long, poisson_short_long_2, dist_shift) for each policy and prints one table per suite "
                + "plus a summary with the equinox/vtc ratios.")
public final class SuiteCommand implements Callable<Integer> {
    /** Title of the printed ratio lines (shared with {@code replay}). */
    static final String RATIO_TITLE = "ratios equinox/vtc per workload: p90 TTFT, avg and max service difference, output tok/s, "
            + "utilization, Jain (below 1 is better for equinox in the first three, above 1 in the last three)";

    @Option(names = {"-s", "--suites"}, split = ",", paramLabel = "NAMES", description = "Suites to run (default: all).")
    List<String> suites;

    @Option(names = {"-p", "--policies"}, paramLabel = "NAMES", split = ",", defaultValue = "fcfs,vtc,equinox",
            description = "Policies (default: ${DEFAULT-VALUE}).")
    List<String> policies;

    @Option(names = "--params", paramLabel = "QUERY", description = "Extra workload keys for every suite, e.g. arrival=poisson&duration=600.")
    String params;

    @Mixin
    EngineOptions engine;

    @Option(names = "--csv", paramLabel = "FILE", description = "Append every summary row to a CSV file.")
    Path csv;

    @Option(names = "--html-dir", paramLabel = "DIR", description = "Write one HTML report per suite into this directory.")
    Path htmlDir;

    @Option(names = "--markdown", paramLabel = "FILE",
            description = "Append one markdown table per suite, then the equinox/vtc ratio table, to a file.")
    Path markdown;

    @Mixin
    Runs runs;

    @Override
    public Integer call() throws Exception {
        List<String> names = suites == null || suites.isEmpty() ? VtcSuites.SUITES : suites;
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("--suites names a suite twice: " + names);
        }
        long wall0 = System.nanoTime();
        List<SimConfig> configs = new ArrayList<>();
        for (String p : policies) {
            configs.add(engine.config(p.trim()));
        }
        Runs.requireDistinct(configs, "-p");
        List<Comparison> all = new ArrayList<>();
        for (String s : names) {
            Workload w = Workloads.load("vtc:" + s.trim() + (params == null || params.isBlank() ? "" : "?" + params), engine.seed());
            Comparison c = runs.run(s, w, configs);
            new TableReporter(System.out).write(c);
            System.out.println();
            if (csv != null) {
                new CsvReporter(csv).write(c);
            }
            if (htmlDir != null) {
                Files.createDirectories(htmlDir);
                new HtmlReporter(htmlDir.resolve(s.trim() + ".html")).write(c);
            }
            if (markdown != null) {
                new MarkdownReporter(markdown).write(c);
            }
            all.add(c);
        }
        List<PolicyRatio> ratios = PolicyRatio.of(all, "equinox", "vtc");
        new TableReporter(System.out).writeRatios(RATIO_TITLE, ratios);
        if (markdown != null) {
            new MarkdownReporter(markdown).writeRatios(ratios);
        }
        System.err.printf(Locale.ROOT, "suite wall time %.1f s%n", (System.nanoTime() - wall0) / 1e9);
        return 0;
    }
}

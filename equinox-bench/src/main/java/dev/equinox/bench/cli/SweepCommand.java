package dev.equinox.bench.cli;

import dev.equinox.BatchingMode;
import dev.equinox.bench.report.Comparison;
import dev.equinox.bench.report.CsvReporter;
import dev.equinox.bench.report.MarkdownReporter;
import dev.equinox.bench.report.RunSummary;
import dev.equinox.bench.report.TableReporter;
import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code equinox sweep}: a grid over the holistic policy's alpha and delta and the engine budgets. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Runs the equinox policy over a grid of alpha (beta = 1 - alpha), delta, token budget and max running on one "
                + "workload and prints every point plus the best settings for fairness (avg service difference), p90 TTFT and throughput.")
public final class SweepCommand implements Callable<Integer> {
    @Option(names = {"-w", "--workload"}, paramLabel = "SPEC", defaultValue = "default", description = "Workload spec (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--alphas", split = ",", defaultValue = "0.3,0.5,0.7,0.9,1.0", description = "Alpha values (default: ${DEFAULT-VALUE}).")
    List<Double> alphas;

    @Option(names = "--deltas", split = ",", defaultValue = "0,0.1,0.3", description = "Delta values (default: ${DEFAULT-VALUE}).")
    List<Double> deltas;

    @Option(names = "--budgets", split = ",", description = "Token budgets (default: the engine's; not with VTC_REFERENCE batching, "
            + "which applies max(KV tokens / 6, 3072)).")
    List<Integer> budgets;

    @Option(names = "--running", split = ",", description = "Max running values (default: the engine's).")
    List<Integer> running;

    @Option(names = "--baseline", defaultValue = "vtc", description = "Also run this policy once for reference (default: ${DEFAULT-VALUE}; 'none' to skip).")
    String baseline;

    @Mixin
    EngineOptions engine;

    @Option(names = "--csv", paramLabel = "FILE", description = "Append every point to a CSV file.")
    Path csv;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Append every point as a markdown table, then the best points as a list.")
    Path markdown;

    @Mixin
    Runs runs;

    /** A grid axis must not repeat a value: the runs would repeat, and their rows be indistinguishable. */
    private static void distinct(String option, List<?> values) {
        if (values != null && new java.util.HashSet<>(values).size() != values.size()) {
            throw new IllegalArgumentException(option + " repeats a value: " + values);
        }
    }

    @Override
    public Integer call() throws Exception {
        SimConfig base = engine.config("equinox");
        if (budgets != null && !budgets.isEmpty() && base.mode() == BatchingMode.VTC_REFERENCE) {
            throw new IllegalArgumentException(EngineOptions.budgetIgnored("--budgets", base));
        }
        distinct("--alphas", alphas);
        distinct("--deltas", deltas);
        distinct("--budgets", budgets);
        distinct("--running", running);
        Workload w = Workloads.load(workload, engine.seed());
        List<Integer> bs = budgets == null || budgets.isEmpty() ? List.of(base.tokenBudget()) : budgets;
        List<Integer> rs = running == null || running.isEmpty() ? List.of(base.maxRunning()) : running;
        List<SimConfig> configs = new ArrayList<>();
        if (!"none".equals(baseline)) {
            configs.add(engine.config(baseline));
        }
        for (double a : alphas) {
            for (double d : deltas) {
                for (int b : bs) {
                    for (int r : rs) {
                        configs.add(base.withHolistic(a, 1 - a, d).withBudgets(b, r));
                    }
                }
            }
        }
        Comparison c = runs.run("sweep", w, configs);
        // label each point with its budgets too
        List<RunSummary> labelled = new ArrayList<>();
        for (int i = 0; i < c.summaries().size(); i++) {
            RunSummary s = c.summaries().get(i);
            SimConfig k = c.results().get(i).config();
            String label = k.policy().equals("equinox")
                    ? String.format(Locale.ROOT, "a=%.2f d=%.2f B=%d R=%d", k.alpha(), k.delta(), k.effectiveTokenBudget(), k.maxRunning())
                    : k.label();
            labelled.add(relabel(s, label));
        }
        Comparison lc = new Comparison(c.workload(), c.results(), labelled, c.measure(), c.outputTokenPrice());
        new TableReporter(System.out).write(lc);
        if (csv != null) {
            new CsvReporter(csv).write(lc);
        }
        List<RunSummary> eq = new ArrayList<>();
        for (int i = 0; i < labelled.size(); i++) {
            if (c.results().get(i).config().policy().equals("equinox")) {
                eq.add(labelled.get(i));
            }
        }
        List<String> bests = new ArrayList<>();
        if (!eq.isEmpty()) {
            bests.add("best for fairness (lowest avg service difference): " + best(eq, Comparator.comparingDouble(RunSummary::avgServiceDiff)));
            bests.add("best for p90 TTFT:                                 " + best(eq, Comparator.comparingDouble(s -> s.ttft()[1])));
            bests.add("best for throughput (output tok/s):                " + best(eq, Comparator.comparingDouble(s -> -s.outTokPerSec())));
            bests.add("best for Jain:                                     " + best(eq, Comparator.comparingDouble(s -> -s.jain())));
        }
        for (String b : bests) {
            System.out.println(b);
        }
        if (markdown != null) {
            MarkdownReporter md = new MarkdownReporter(markdown);
            md.write(lc);
            List<String> items = new ArrayList<>();
            for (String b : bests) {
                items.add(b.replaceAll(" {2,}", " "));
            }
            md.writeList(items);
        }
        return 0;
    }

    private static String best(List<RunSummary> xs, Comparator<RunSummary> cmp) {
        RunSummary b = xs.stream().filter(s -> s.fairness() != null).min(cmp).orElse(xs.get(0));
        return String.format(Locale.ROOT, "%s  (avgSD %.1f, ttft p90 %.2f s, %.0f tok/s, jain %.3f)", b.label(), b.avgServiceDiff(), b.ttft()[1],
                b.outTokPerSec(), b.jain());
    }

    private static RunSummary relabel(RunSummary s, String label) {
        return new RunSummary(label, s.policy(), s.predictor(), s.requests(), s.finished(), s.rejected(), s.makespan(), s.reqPerSec(),
                s.outTokPerSec(), s.totalTokPerSec(), s.ttft(), s.e2e(), s.tpot(), s.utilization(), s.maxServiceDiff(), s.avgServiceDiff(),
                s.varServiceDiff(), s.maxAccDiff(), s.jain(), s.preemptions(), s.steps(), s.wallSeconds(), s.fairness());
    }
}

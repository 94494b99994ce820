package dev.equinox.bench.cli;

import dev.equinox.bench.report.Comparison;
import dev.equinox.bench.report.CsvReporter;
import dev.equinox.bench.report.HtmlReporter;
import dev.equinox.bench.report.MarkdownReporter;
import dev.equinox.bench.report.PolicyRatio;
import dev.equinox.bench.report.RequestCsvReporter;
import dev.equinox.bench.report.TableReporter;
import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code equinox replay}: one workload (or several, {@code -w} repeated), several policies, one table per workload, and
 * the equinox/vtc ratios when both policies ran.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replays one workload through the real scheduler on virtual time, once per policy, and prints the comparison.",
            "With no arguments: the bundled default workload (Azure conv trace excerpt, 4 tenants), fcfs vs vtc vs equinox.",
            "-w may be repeated: each workload is replayed in turn, and the equinox/vtc ratios of all of them close the output."},
        footer = {"", "Workload specs: FORMAT:LOCATION?key=value&...  e.g.",
            "  default | overload | vtc:overload?arrival=poisson | csv:my.csv | azure:/data/azure_llm_inference_2023_conv.csv.gz?tenants=8&skew=1.2",
            "  mooncake:/data/mooncake_fast25_conversation_trace.jsonl.gz?speed=2 | servegen:/data?model=language_m-large&clients=8",
            "Keys for every format: limit, from, to, speed, max-input, max-output, weights=a:2,b:1, seed."})
public final class ReplayCommand implements Callable<Integer> {
    @Option(names = {"-w", "--workload"}, paramLabel = "SPEC", defaultValue = "default",
            description = "Workload spec; repeat for several (default: ${DEFAULT-VALUE}).")
    List<String> workloads;

    @Option(names = {"-p", "--policies"}, paramLabel = "NAMES", split = ",", defaultValue = "fcfs,vtc,equinox",
            description = "Policies to compare: fcfs, vtc, vtc-predict, equinox, priority (default: ${DEFAULT-VALUE}).")
    List<String> policies;

    @Option(names = "--predictors", paramLabel = "NAMES", split = ",",
            description = "Run every policy with each of these predictors (overrides --predictor).")
    List<String> predictors;

    @Mixin
    EngineOptions engine;

    @Option(names = "--csv", paramLabel = "FILE", description = "Append the summary rows to a CSV file.")
    Path csv;

    @Option(names = "--html", paramLabel = "FILE", description = "Write an HTML report with charts.")
    Path html;

    @Option(names = "--requests-csv", paramLabel = "FILE", description = "Write one CSV row per request and run.")
    Path requestsCsv;

    @Option(names = "--markdown", paramLabel = "FILE",
            description = "Append one markdown table per workload, then the equinox/vtc ratio table, to a file.")
    Path markdown;

    @Mixin
    Runs runs;

    @Override
    public Integer call() throws Exception {
        if (workloads.size() > 1 && (html != null || requestsCsv != null)) {
            throw new IllegalArgumentException("--html and --requests-csv take one workload; got " + workloads.size());
        }
        List<SimConfig> configs = new ArrayList<>();
        for (String p : policies) {
            if (predictors == null || predictors.isEmpty()) {
                configs.add(engine.config(p.trim()));
            } else {
                for (String pr : predictors) {
                    configs.add(engine.config(p.trim()).withPredictor(pr.trim()));
                }
            }
        }
        Runs.requireDistinct(configs, predictors == null || predictors.isEmpty() ? "-p" : "-p x --predictors");
        List<Comparison> all = new ArrayList<>();
        for (String spec : workloads) {
            all.add(replay(Workloads.load(spec, engine.seed()), configs));
        }
        List<PolicyRatio> ratios = PolicyRatio.of(all, "equinox", "vtc");
        new TableReporter(System.out).writeRatios(SuiteCommand.RATIO_TITLE, ratios);
        if (markdown != null) {
            new MarkdownReporter(markdown).writeRatios(ratios);
        }
        return 0;
    }

    private Comparison replay(Workload w, List<SimConfig> configs) throws java.io.IOException {
        Comparison c = runs.run("replay", w, configs);
        new TableReporter(System.out).write(c);
        if (csv != null) {
            new CsvReporter(csv).write(c);
        }
        if (requestsCsv != null) {
            new RequestCsvReporter(requestsCsv).write(c);
        }
        if (html != null) {
            new HtmlReporter(html).write(c);
        }
        if (markdown != null) {
            new MarkdownReporter(markdown).write(c);
        }
        double wall = 0;
        for (var r : c.results()) {
            wall += r.wallNanos() / 1e9;
        }
        System.err.printf(java.util.Locale.ROOT, "simulated %d requests x %d runs in %.1f s of simulation (sum over runs)%n", w.size(),
                configs.size(), wall);
        return c;
    }
}

package dev.equinox.bench.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** One CSV row per run with every number of {@link RunSummary}; appends when the file exists (for suites). */
public final class CsvReporter implements Reporter {
    public static final String HEADER = "workload,run,policy,predictor,requests,finished,rejected,makespan_s,req_per_s,out_tok_per_s,"
            + "total_tok_per_s,ttft_p50,ttft_p90,ttft_p99,e2e_p50,e2e_p90,e2e_p99,tpot_p50,tpot_p90,tpot_p99,utilization,"
            + "max_service_diff,avg_service_diff,var_service_diff,max_acc_service_diff,jain,preemptions,steps,wall_s";

    private final Path path;

    public CsvReporter(Path path) {
        this.path = path;
    }

    @Override
    public void write(Comparison c) throws IOException {
        boolean exists = Files.exists(path) && Files.size(path) > 0;
        if (path.toAbsolutePath().getParent() != null) {
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
            if (!exists) {
                w.println(HEADER);
            }
            for (RunSummary s : c.summaries()) {
                w.println(String.join(",", Fmt.csvText(c.workload().name()), Fmt.csvText(s.label()), Fmt.csvText(s.policy()),
                        Fmt.csvText(s.predictor()),
                        Integer.toString(s.requests()), Integer.toString(s.finished()), Integer.toString(s.rejected()),
                        Fmt.csv(s.makespan()), Fmt.csv(s.reqPerSec()), Fmt.csv(s.outTokPerSec()), Fmt.csv(s.totalTokPerSec()),
                        Fmt.csv(s.ttft()[0]), Fmt.csv(s.ttft()[1]), Fmt.csv(s.ttft()[2]), Fmt.csv(s.e2e()[0]), Fmt.csv(s.e2e()[1]),
                        Fmt.csv(s.e2e()[2]), Fmt.csv(s.tpot()[0]), Fmt.csv(s.tpot()[1]), Fmt.csv(s.tpot()[2]), Fmt.csv(s.utilization()),
                        Fmt.csv(s.maxServiceDiff()), Fmt.csv(s.avgServiceDiff()), Fmt.csv(s.varServiceDiff()), Fmt.csv(s.maxAccDiff()),
                        Fmt.csv(s.jain()), Long.toString(s.preemptions()), Long.toString(s.steps()), Fmt.csv(s.wallSeconds())));
            }
        }
    }
}

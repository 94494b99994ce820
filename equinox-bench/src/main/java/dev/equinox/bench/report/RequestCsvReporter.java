package dev.equinox.bench.report;

import dev.equinox.bench.sim.SimResult;
import dev.equinox.bench.workload.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One CSV row per request and run: {@code run,req_id,tenant,arrival_s,input_tokens,output_tokens,admit_step,
 * admit_s,first_token_s,finish_s,preemptions} (times in virtual seconds; empty when it never happened).
 */
public final class RequestCsvReporter implements Reporter {
    public static final String HEADER = "run,req_id,tenant,arrival_s,input_tokens,output_tokens,admit_step,admit_s,first_token_s,finish_s,preemptions";

    private final Path path;

    public RequestCsvReporter(Path path) {
        this.path = path;
    }

    @Override
    public void write(Comparison c) throws IOException {
        if (path.toAbsolutePath().getParent() != null) {
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        try (Writer out = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            write(c, out);
        }
    }

    /** Writes to any writer (used by the determinism test). */
    public static void write(Comparison c, Writer out) {
        PrintWriter w = new PrintWriter(out);
        w.println(HEADER);
        StringBuilder sb = new StringBuilder(128);
        for (SimResult r : c.results()) {
            Workload wl = r.workload();
            String label = Fmt.csvText(r.config().label());
            String[] tenants = new String[wl.tenants().size()]; // quoted once per tenant, not once per row
            for (int t = 0; t < tenants.length; t++) {
                tenants[t] = Fmt.csvText(wl.tenants().get(t));
            }
            for (int i = 0; i < wl.size(); i++) {
                sb.setLength(0);
                sb.append(label).append(',').append(wl.id(i)).append(',').append(tenants[wl.tenantIndex(i)]).append(',')
                        .append(Fmt.csv(wl.arrival(i))).append(',').append(wl.input(i)).append(',').append(r.generated()[i]).append(',')
                        .append(r.admitStep()[i] < 0 ? "" : Long.toString(r.admitStep()[i])).append(',')
                        .append(Fmt.csv(r.admittedAt()[i])).append(',').append(Fmt.csv(r.firstTokenAt()[i])).append(',')
                        .append(Fmt.csv(r.finishedAt()[i])).append(',').append(r.preemptions()[i]);
                w.println(sb);
            }
        }
        w.flush();
    }
}

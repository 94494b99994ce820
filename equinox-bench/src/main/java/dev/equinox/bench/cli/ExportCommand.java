package dev.equinox.bench.cli;

import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code equinox export}: writes any workload spec as the plain CSV format (gzip when the name ends in .gz). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a workload (any spec) in the plain CSV format req_id,tenant,arrival_s,input_tokens,output_tokens with #weight lines.")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = {"-w", "--workload"}, paramLabel = "SPEC", required = true, description = "Workload spec.")
    String workload;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", required = true, description = "Output file (.csv or .csv.gz).")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Workload w = Workloads.load(workload, seed);
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        try (OutputStream os = out.toString().endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(out)) : Files.newOutputStream(out);
             PrintWriter pw = new PrintWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8))) {
            pw.println("# " + w.description());
            for (Map.Entry<String, Double> e : w.weights().entrySet()) {
                if (e.getValue() != 1.0) {
                    pw.println("#weight " + e.getKey() + "=" + e.getValue());
                }
            }
            pw.println("req_id,tenant,arrival_s,input_tokens,output_tokens");
            for (int i = 0; i < w.size(); i++) {
                pw.println(i + "," + w.tenant(i) + "," + String.format(Locale.ROOT, "%.6f", w.arrival(i)) + "," + w.input(i) + "," + w.output(i));
            }
        }
        System.err.println("wrote " + w.size() + " requests to " + out);
        return 0;
    }
}

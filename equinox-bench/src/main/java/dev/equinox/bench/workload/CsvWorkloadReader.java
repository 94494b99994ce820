package dev.equinox.bench.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.Set;

/**
 * The plain format: a CSV file (optionally gzip) with the columns {@code req_id,tenant,arrival_s,input_tokens,
 * output_tokens}. A first line starting with {@code req_id} is a header. Lines starting with {@code #} are
 * comments, except {@code #weight tenant=w} lines, which give tenant weights (default 1). Blank lines are
 * skipped. Errors name the file, the line and the field.
 *
 * <pre>
 * #weight gold=2
 * req_id,tenant,arrival_s,input_tokens,output_tokens
 * 0,gold,0.0,256,128
 * 1,free,0.4,1024,32
 * </pre>
 */
public final class CsvWorkloadReader implements WorkloadReader {
    static final String HEADER = "req_id,tenant,arrival_s,input_tokens,output_tokens";
    private static final String[] FIELDS = HEADER.split(",");

    @Override
    public String name() {
        return "csv";
    }

    @Override
    public String usage() {
        return "csv:PATH  columns " + HEADER + "; '#weight tenant=w' lines set weights";
    }

    @Override
    public Workload read(WorkloadSpec spec) throws IOException {
        spec.checkKeys(Set.of());
        String file = spec.location();
        try (BufferedReader r = TraceFiles.open(file)) {
            return read(r, file, spec.text());
        }
    }

    /** Reads from an open reader; {@code file} is used in messages. */
    public static Workload read(BufferedReader r, String file, String name) throws IOException {
        Workload.Builder b = Workload.builder(name).description("csv " + file);
        StringBuilder buf = new StringBuilder(128);
        String line;
        long no = 0;
        boolean first = true;
        while ((line = TraceFiles.readLine(r, buf)) != null) {
            no++;
            String t = line.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (t.startsWith("#")) {
                if (t.startsWith("#weight")) {
                    String rest = t.substring("#weight".length()).trim();
                    int e = rest.indexOf('=');
                    if (e <= 0) {
                        throw new WorkloadFormatException(file, no, "weight", "expected '#weight tenant=w', got '" + t + "'");
                    }
                    String tenant = rest.substring(0, e).trim();
                    String v = rest.substring(e + 1).trim();
                    double w;
                    try {
                        w = Double.parseDouble(v);
                    } catch (NumberFormatException ex) {
                        throw new WorkloadFormatException(file, no, "weight", "expected a number, got '" + v + "'");
                    }
                    if (!(w > 0) || Double.isInfinite(w)) {
                        throw new WorkloadFormatException(file, no, "weight", "must be finite and > 0, got " + v);
                    }
                    b.tenant(tenant, w);
                }
                continue;
            }
            if (first && t.startsWith("req_id")) {
                first = false;
                continue;
            }
            first = false;
            String[] f = t.split(",", -1);
            if (f.length != FIELDS.length) {
                throw new WorkloadFormatException(file, no, null, "expected " + FIELDS.length + " fields (" + HEADER + "), got " + f.length);
            }
            long id;
            try {
                id = Long.parseLong(f[0].trim());
            } catch (NumberFormatException e) {
                throw new WorkloadFormatException(file, no, FIELDS[0], "expected an integer, got '" + f[0] + "'");
            }
            String tenant = f[1].trim();
            if (tenant.isEmpty()) {
                throw new WorkloadFormatException(file, no, FIELDS[1], "must not be empty");
            }
            double arrival = TraceFiles.checkArrival(file, no, FIELDS[2], TraceFiles.parseTime(file, no, FIELDS[2], f[2]));
            int in = TraceFiles.parsePositiveInt(file, no, FIELDS[3], f[3]);
            int out = TraceFiles.parsePositiveInt(file, no, FIELDS[4], f[4]);
            b.add(id, tenant, arrival, in, out);
        }
        return b.build();
    }
}

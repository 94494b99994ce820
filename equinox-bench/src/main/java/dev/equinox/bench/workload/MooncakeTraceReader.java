package dev.equinox.bench.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.Set;

/**
 * Mooncake FAST'25 traces (kvcache-ai/Mooncake, Apache-2.0): JSONL, optionally gzip, one object per line with
 * {@code timestamp} (ms, relative), {@code input_length}, {@code output_length} ({@code hash_ids} ignored).
 * Tenants come from {@link TenantAssigner} (keys {@code tenants}, {@code skew}); {@code by=prefix} instead assigns
 * by the first prefix-block hash id (requests sharing a leading block share a tenant: a conversation heuristic).
 * A line with output 0 is replayed with 1.
 */
public final class MooncakeTraceReader implements WorkloadReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "mooncake";
    }

    @Override
    public String usage() {
        return "mooncake:PATH  Mooncake JSONL (gz ok); keys tenants=8 skew=1.0 by=row|prefix";
    }

    @Override
    public Workload read(WorkloadSpec spec) throws IOException {
        TenantAssigner assign = TenantAssigner.fromSpec(spec);
        String by = spec.string("by", "row");
        if (!by.equals("row") && !by.equals("prefix")) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': by must be row or prefix, got '" + by + "'");
        }
        spec.checkKeys(Set.of("tenants", "skew", "by"));
        String file = spec.location();
        Workload.Builder b = Workload.builder(spec.text());
        for (String t : assign.names()) {
            b.tenant(t, null);
        }
        try (BufferedReader r = TraceFiles.open(file)) {
            StringBuilder buf = new StringBuilder(512);
            String line;
            long no = 0;
            long row = 0;
            while ((line = TraceFiles.readLine(r, buf)) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new WorkloadFormatException(file, no, null, "invalid JSON: " + e.getOriginalMessage());
                }
                double ms = number(file, no, n, "timestamp");
                TraceFiles.checkArrival(file, no, "timestamp", ms / 1000.0);
                int in = integer(file, no, n, "input_length");
                int out = integer(file, no, n, "output_length");
                if (in <= 0) {
                    throw new WorkloadFormatException(file, no, "input_length", "must be > 0, got " + in);
                }
                if (out < 0) {
                    throw new WorkloadFormatException(file, no, "output_length", "must be >= 0, got " + out);
                }
                long key = row;
                if (by.equals("prefix")) {
                    JsonNode h = n.get("hash_ids");
                    if (h != null && h.isArray() && h.size() > 0) {
                        key = h.get(0).asLong();
                    }
                }
                b.add(row, assign.tenantOf(key), ms / 1000.0, in, Math.max(1, out));
                row++;
            }
        }
        b.description("Mooncake FAST'25 conversation trace " + file + "; " + assign.describe() + " by " + by);
        return b.build();
    }

    /** A token count: a whole number in [0, 2147483647] (10.0 counts as 10; 10.9 and 3000000000 are refused). */
    private static int integer(String file, long no, JsonNode n, String field) throws WorkloadFormatException {
        double d = number(file, no, n, field);
        if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < 0) {
            throw new WorkloadFormatException(file, no, field, "expected an integer in [0, " + Integer.MAX_VALUE + "], got " + n.get(field));
        }
        return (int) d;
    }

    private static double number(String file, long no, JsonNode n, String field) throws WorkloadFormatException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new WorkloadFormatException(file, no, field, "missing");
        }
        if (!v.isNumber()) {
            throw new WorkloadFormatException(file, no, field, "expected a number, got " + v);
        }
        double d = v.asDouble();
        if (!(d >= 0) || Double.isInfinite(d)) {
            throw new WorkloadFormatException(file, no, field, "must be finite and >= 0, got " + v);
        }
        return d;
    }
}

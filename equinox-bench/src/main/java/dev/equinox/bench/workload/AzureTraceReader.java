package dev.equinox.bench.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Set;

/**
 * Azure LLM inference trace 2023 (conv or code; Patel et al., "Splitwise", ISCA 2024; CC-BY-4.0): CSV with
 * {@code TIMESTAMP,ContextTokens,GeneratedTokens}, optionally gzip. Arrivals are seconds since the first row's
 * timestamp. The trace has no tenant ids: tenants come from {@link TenantAssigner} (keys {@code tenants},
 * {@code skew}). A row with 0 generated tokens is replayed with 1.
 */
public final class AzureTraceReader implements WorkloadReader {
    private static final DateTimeFormatter TS = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter();

    @Override
    public String name() {
        return "azure";
    }

    @Override
    public String usage() {
        return "azure:PATH  Azure 2023 conv/code CSV (gz ok); keys tenants=8 skew=1.0 (Zipf shares, row-hash assignment)";
    }

    @Override
    public Workload read(WorkloadSpec spec) throws IOException {
        TenantAssigner assign = TenantAssigner.fromSpec(spec);
        spec.checkKeys(Set.of("tenants", "skew"));
        String file = spec.location();
        Workload.Builder b = Workload.builder(spec.text());
        for (String t : assign.names()) {
            b.tenant(t, null);
        }
        int zeroOut = 0;
        try (BufferedReader r = TraceFiles.open(file)) {
            StringBuilder buf = new StringBuilder(96);
            String line = TraceFiles.readLine(r, buf);
            if (line == null || !line.startsWith("TIMESTAMP")) {
                throw new WorkloadFormatException(file, 1, null, "expected the header TIMESTAMP,ContextTokens,GeneratedTokens, got "
                        + (line == null ? "an empty file" : "'" + line + "'"));
            }
            long no = 1;
            long row = 0;
            double t0 = Double.NaN;
            while ((line = TraceFiles.readLine(r, buf)) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (f.length != 3) {
                    throw new WorkloadFormatException(file, no, null, "expected 3 fields (TIMESTAMP,ContextTokens,GeneratedTokens), got " + f.length);
                }
                double ts;
                try {
                    LocalDateTime dt = LocalDateTime.parse(f[0].trim(), TS);
                    ts = dt.toEpochSecond(ZoneOffset.UTC) + dt.getNano() / 1e9;
                } catch (DateTimeParseException e) {
                    throw new WorkloadFormatException(file, no, "TIMESTAMP", "expected 'yyyy-MM-dd HH:mm:ss.fffffff', got '" + f[0] + "'");
                }
                if (Double.isNaN(t0)) {
                    t0 = ts;
                }
                int in = TraceFiles.parsePositiveInt(file, no, "ContextTokens", f[1]);
                int out = TraceFiles.parseNonNegativeInt(file, no, "GeneratedTokens", f[2]);
                if (out == 0) {
                    out = 1;
                    zeroOut++;
                }
                double arrival = ts - t0;
                if (arrival < 0) {
                    throw new WorkloadFormatException(file, no, "TIMESTAMP", "earlier than the first row (" + f[0] + ")");
                }
                TraceFiles.checkArrival(file, no, "TIMESTAMP", arrival);
                b.add(row, assign.tenantOf(row), arrival, in, out);
                row++;
            }
        }
        b.description("Azure LLM inference trace 2023 " + file + "; " + assign.describe()
                + (zeroOut > 0 ? "; " + zeroOut + " rows with 0 output replayed with 1" : ""));
        return b.build();
    }
}

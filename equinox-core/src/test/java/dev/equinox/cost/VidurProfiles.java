package dev.equinox.cost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads the Vidur profiler CSVs copied into the test resources (microsoft/vidur, MIT; see docs/cost-model.md).
 * Lines starting with {@code #} are the source attribution; the first other line is the header.
 */
final class VidurProfiles {
    static final String MLP = "vidur_mlp_compact.csv";
    static final String ATTN_7B = "vidur_attention_a100_llama2_7b_tp1_sample.csv";
    static final String ATTN_70B = "vidur_attention_a100_llama2_70b_tp2_old.csv";
    static final String ALLREDUCE = "vidur_allreduce_dgx_compact.csv";
    static final String CPU = "vidur_cpu_overheads_a100_old.csv";

    private VidurProfiles() {
    }

    /** One CSV: its header and its data rows, split on commas. */
    record Table(List<String> header, List<String[]> rows) {
        int col(String name) {
            int i = header.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no column " + name + " in " + header);
            }
            return i;
        }

        List<String[]> where(Predicate<String[]> p) {
            List<String[]> out = new ArrayList<>();
            for (String[] r : rows) {
                if (p.test(r)) {
                    out.add(r);
                }
            }
            return out;
        }
    }

    static Table load(String name) {
        try (InputStream in = VidurProfiles.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource dev/equinox/cost/" + name);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> header = null;
            List<String[]> rows = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (header == null) {
                    header = List.of(f);
                } else {
                    rows.add(f);
                }
            }
            return new Table(header, rows);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double d(String[] row, int col) {
        return Double.parseDouble(row[col]);
    }
}

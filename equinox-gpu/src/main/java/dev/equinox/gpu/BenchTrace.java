package dev.equinox.gpu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A workload read from the plain CSV that {@code equinox export} writes ({@code req_id,tenant,arrival_s,
 * input_tokens,output_tokens}, {@code #weight tenant=w} lines, other {@code #} lines ignored, {@code .gz}
 * accepted), so that {@code serve-bench --trace} on a GPU and {@code equinox replay -w csv:FILE} in the simulator
 * serve the same requests. A copy of the simulator's reader kept small on purpose: {@code equinox-gpu} must not
 * depend on {@code equinox-bench} (DJL and PyTorch would come with it onto the GPU host).
 *
 * @param requests in file order
 * @param weights tenant weights named by {@code #weight} lines (others are 1)
 */
public record BenchTrace(List<BenchRequest> requests, Map<String, Double> weights) {
    private static final String HEADER = "req_id,tenant,arrival_s,input_tokens,output_tokens";

    public BenchTrace {
        requests = List.copyOf(requests);
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /**
     * Reads a trace file.
     *
     * @throws IllegalArgumentException naming the file, line and field of the first malformed line
     * @throws IOException when the file cannot be read
     */
    public static BenchTrace read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return read(r, file.toString());
        }
    }

    static BenchTrace read(BufferedReader r, String name) throws IOException {
        List<BenchRequest> list = new ArrayList<>();
        Map<String, Double> weights = new LinkedHashMap<>();
        String line;
        int no = 0;
        boolean header = false;
        while ((line = r.readLine()) != null) {
            no++;
            String t = line.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (t.startsWith("#")) {
                if (t.startsWith("#weight")) {
                    String rest = t.substring("#weight".length()).trim();
                    int eq = rest.indexOf('=');
                    if (eq <= 0) {
                        throw bad(name, no, "expected '#weight tenant=w', got '" + t + "'");
                    }
                    double w = number(name, no, "weight", rest.substring(eq + 1).trim());
                    if (!(w > 0) || Double.isInfinite(w)) {
                        throw bad(name, no, "weight must be finite and > 0, got " + w);
                    }
                    weights.put(rest.substring(0, eq).trim(), w);
                }
                continue;
            }
            if (!header) {
                if (!t.equals(HEADER)) {
                    throw bad(name, no, "expected the header '" + HEADER + "', got '" + t + "'");
                }
                header = true;
                continue;
            }
            String[] f = t.split(",", -1);
            if (f.length != 5) {
                throw bad(name, no, "expected 5 fields (" + HEADER + "), got " + f.length);
            }
            double arrival = number(name, no, "arrival_s", f[2].trim());
            double in = number(name, no, "input_tokens", f[3].trim());
            double out = number(name, no, "output_tokens", f[4].trim());
            if (in != Math.rint(in) || out != Math.rint(out) || in > Integer.MAX_VALUE || out > Integer.MAX_VALUE) {
                throw bad(name, no, "token counts must be integers, got " + f[3] + ", " + f[4]);
            }
            try {
                list.add(new BenchRequest(arrival, f[1].trim(), (int) in, (int) out));
            } catch (IllegalArgumentException e) {
                throw bad(name, no, e.getMessage());
            }
        }
        if (!header) {
            throw bad(name, no, "no header '" + HEADER + "' found");
        }
        return new BenchTrace(list, weights);
    }

    private static double number(String name, int no, String field, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw bad(name, no, field + ": expected a number, got '" + v + "'");
        }
    }

    private static IllegalArgumentException bad(String name, int no, String what) {
        return new IllegalArgumentException(name + ":" + no + ": " + what);
    }
}

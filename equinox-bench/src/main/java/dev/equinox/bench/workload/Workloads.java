package dev.equinox.bench.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The registry of {@link WorkloadReader}s by format name, and the entry point that turns a spec string into a
 * {@link Workload} ({@link #load}). Formats: {@code csv}, {@code azure}, {@code mooncake}, {@code servegen},
 * {@code vtc}, {@code prompts} (prompt/response JSONL with real prompt text, see {@link PromptsReader}), and
 * {@code default} (the workload bundled in the jar).
 *
 * <p>The bundled default ({@code /workloads/default.csv.gz}) is the first 4,000 requests (13.6 minutes) of the
 * Azure LLM inference trace 2023 (conversation service; Patel et al., Splitwise, ISCA 2024; CC-BY-4.0) at the
 * trace's own rate, with tenants assigned by {@link TenantAssigner} (4 tenants, Zipf skew 1.0, seed 42): see
 * {@code docs/simulator.md} for the command that rebuilds it.
 */
public final class Workloads {
    /** The bundled workload's resource path. */
    public static final String DEFAULT_RESOURCE = "/workloads/default.csv.gz";

    private static final Map<String, WorkloadReader> READERS = new LinkedHashMap<>();

    static {
        register(new CsvWorkloadReader());
        register(new AzureTraceReader());
        register(new MooncakeTraceReader());
        register(new ServeGenGenerator());
        register(new VtcSuites());
        register(new PromptsReader());
    }

    private Workloads() {
    }

    private static void register(WorkloadReader r) {
        READERS.put(r.name(), r);
    }

    /** The registered readers. */
    public static Collection<WorkloadReader> readers() {
        return READERS.values();
    }

    /**
     * Loads a workload from a spec ({@link WorkloadSpec} gives the syntax).
     *
     * @param spec the spec
     * @param seed the run's seed (used unless the spec has {@code seed=})
     * @throws WorkloadFormatException  for a malformed file
     * @throws IOException              for an unreadable file
     * @throws IllegalArgumentException for an unknown format or key, a bad value, or a workload with no requests
     */
    public static Workload load(String spec, long seed) throws IOException {
        WorkloadSpec s = WorkloadSpec.parse(spec, seed);
        Workload w;
        if (s.format().equals("default")) {
            s.checkKeys(java.util.Set.of());
            w = loadDefault();
        } else {
            WorkloadReader r = READERS.get(s.format());
            if (r == null) {
                throw new IllegalArgumentException("unknown workload format '" + s.format() + "' in '" + spec + "'; known: default, "
                        + String.join(", ", READERS.keySet()));
            }
            w = r.read(s);
            // name runs by what the user typed, so variants of one suite stay apart in reports
            String name = s.format().equals("vtc") && !spec.trim().startsWith("vtc:") ? "vtc:" + spec.trim() : spec.trim();
            w = w.relabel(name, w.description());
        }
        w = applyCommon(w, s);
        if (w.size() == 0) {
            // an empty workload would "run" and report 0/0 for every policy
            throw new IllegalArgumentException("workload spec '" + spec.trim() + "': no requests");
        }
        return w;
    }

    /** The workload bundled in the jar. */
    public static Workload loadDefault() throws IOException {
        InputStream in = Workloads.class.getResourceAsStream(DEFAULT_RESOURCE);
        if (in == null) {
            throw new IOException("bundled workload " + DEFAULT_RESOURCE + " is missing from the class path");
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
            Workload w = CsvWorkloadReader.read(r, "classpath:" + DEFAULT_RESOURCE, "default");
            return w.relabel("default", "bundled default: Azure LLM inference trace 2023 (conv), first 4,000 requests "
                    + "(13.6 min) at the trace's rate, 4 tenants by Zipf(1.0) row hash, seed 42 (CC-BY-4.0, Patel et al., Splitwise, ISCA 2024)");
        }
    }

    private static Workload applyCommon(Workload w, WorkloadSpec s) {
        double from = s.number("from", 0);
        double to = s.number("to", Double.POSITIVE_INFINITY);
        double speed = s.number("speed", 1);
        int limit = s.integer("limit", 0);
        int maxIn = s.integer("max-input", 0);
        int maxOut = s.integer("max-output", 0);
        String weights = s.string("weights", null);
        if (limit < 0 || maxIn < 0 || maxOut < 0) {
            throw new IllegalArgumentException("workload spec '" + s.text() + "': limit, max-input and max-output must be >= 0");
        }
        if (!(to > from)) {
            throw new IllegalArgumentException("workload spec '" + s.text() + "': to (" + to + ") must be greater than from (" + from + ")");
        }
        if (!(speed > 0)) {
            throw new IllegalArgumentException("workload spec '" + s.text() + "': speed must be > 0, got " + speed);
        }
        Workload out = w;
        if (from != 0 || to != Double.POSITIVE_INFINITY || speed != 1 || limit != 0 || maxIn != 0 || maxOut != 0) {
            out = w.transform(from, to, speed, limit, maxIn, maxOut);
        }
        if (weights != null) {
            Map<String, Double> map = new LinkedHashMap<>();
            for (String kv : weights.split(",")) {
                int c = kv.indexOf(':');
                if (c <= 0) {
                    throw new IllegalArgumentException("workload spec '" + s.text() + "': weights must look like a:2,b:1, got '" + weights + "'");
                }
                try {
                    map.put(kv.substring(0, c).trim(), Double.parseDouble(kv.substring(c + 1).trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("workload spec '" + s.text() + "': weight '" + kv + "' is not a number");
                }
            }
            out = out.withWeights(map);
        }
        return out;
    }
}

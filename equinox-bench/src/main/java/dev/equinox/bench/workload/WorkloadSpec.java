package dev.equinox.bench.workload;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed workload spec {@code format:location?key=value&key=value}, e.g.
 * {@code azure:/data/azure_llm_inference_2023_conv.csv.gz?tenants=8&skew=1.2&speed=2}. A bare suite name
 * ({@code overload}) means {@code vtc:overload}; {@code default} is the bundled workload; a bare path ending in
 * {@code .csv} means {@code csv:path}.
 *
 * <p>Keys every format understands (applied after reading, see {@link Workload#transform}): {@code limit}
 * (first N requests), {@code from}/{@code to} (keep arrivals in [from, to) seconds), {@code speed} (divide
 * arrival times), {@code max-input}/{@code max-output} (clamp lengths), {@code weights} ({@code a:2,b:1}), and
 * {@code seed} (overrides the run's seed for generators and tenant assignment).
 */
public final class WorkloadSpec {
    /** Keys handled by {@link Workloads} for every format. */
    public static final Set<String> COMMON_KEYS = Set.of("limit", "from", "to", "speed", "max-input", "max-output", "weights", "seed");

    private final String text;
    private final String format;
    private final String location;
    private final Map<String, String> params;
    private final long seed;
    private final Set<String> used = new LinkedHashSet<>();

    private WorkloadSpec(String text, String format, String location, Map<String, String> params, long seed) {
        this.text = text;
        this.format = format;
        this.location = location;
        this.params = params;
        this.seed = seed;
    }

    /**
     * Parses a spec.
     *
     * @param text        the spec
     * @param defaultSeed the seed used unless the spec has {@code seed=}
     * @throws IllegalArgumentException for an empty spec or a malformed parameter
     */
    public static WorkloadSpec parse(String text, long defaultSeed) {
        Objects.requireNonNull(text, "spec");
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty workload spec");
        }
        String query = "";
        int q = s.indexOf('?');
        if (q >= 0) {
            query = s.substring(q + 1);
            s = s.substring(0, q);
        }
        String format;
        String location;
        int c = s.indexOf(':');
        if (c > 0 && !(c == 1 && s.length() > 2 && (s.charAt(2) == '\\' || s.charAt(2) == '/'))) {
            format = s.substring(0, c);
            location = s.substring(c + 1);
        } else if (s.equals("default")) {
            format = "default";
            location = "";
        } else if (s.endsWith(".csv") || s.endsWith(".csv.gz")) {
            format = "csv";
            location = s;
        } else {
            format = "vtc";
            location = s;
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (!query.isEmpty()) {
            for (String kv : query.split("&")) {
                int e = kv.indexOf('=');
                if (e <= 0) {
                    throw new IllegalArgumentException("workload spec '" + text + "': parameter '" + kv + "' is not key=value");
                }
                params.put(kv.substring(0, e).trim(), kv.substring(e + 1).trim());
            }
        }
        long seed = defaultSeed;
        if (params.containsKey("seed")) {
            try {
                seed = Long.parseLong(params.get("seed"));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("workload spec '" + text + "': seed must be an integer, got '" + params.get("seed") + "'");
            }
        }
        return new WorkloadSpec(text, format, location, Collections.unmodifiableMap(params), seed);
    }

    public String text() {
        return text;
    }

    public String format() {
        return format;
    }

    /** The path or name after the colon. */
    public String location() {
        return location;
    }

    public Map<String, String> params() {
        return params;
    }

    public long seed() {
        return seed;
    }

    public boolean has(String key) {
        return params.containsKey(key);
    }

    public String string(String key, String dflt) {
        used.add(key);
        return params.getOrDefault(key, dflt);
    }

    public int integer(String key, int dflt) {
        used.add(key);
        String v = params.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("workload spec '" + text + "': " + key + " must be an integer, got '" + v + "'");
        }
    }

    /**
     * A number key: {@code dflt} when absent.
     *
     * @throws IllegalArgumentException when the value is not a finite number (NaN and infinities are refused)
     */
    public double number(String key, double dflt) {
        used.add(key);
        String v = params.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("workload spec '" + text + "': " + key + " must be a finite number, got '" + v + "'");
        }
    }

    /**
     * Rejects keys that neither the reader (those it read through this spec) nor {@link #COMMON_KEYS} know.
     *
     * @throws IllegalArgumentException naming the unknown key and the known ones
     */
    public void checkKeys(Set<String> readerKeys) {
        for (String k : params.keySet()) {
            if (!COMMON_KEYS.contains(k) && !readerKeys.contains(k) && !used.contains(k)) {
                Set<String> known = new LinkedHashSet<>(readerKeys);
                known.addAll(COMMON_KEYS);
                throw new IllegalArgumentException("workload spec '" + text + "': unknown key '" + k + "' for format '" + format + "'; known: " + known);
            }
        }
    }

    @Override
    public String toString() {
        return text;
    }
}

package dev.equinox.bench.workload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable list of requests to replay, sorted by arrival: per request an id, a tenant, an arrival time in
 * seconds (from 0), prompt tokens and true output tokens, and optionally the prompt text (for text-based
 * predictors such as MoPE; null for traces that have only lengths); plus tenant weights. Stored as parallel
 * primitive arrays so a million requests cost about 30 MB (plus the texts, when there are any).
 */
public final class Workload {
    /**
     * The latest arrival a workload may have: 10,000,000 s (about 116 days). Arrivals are seconds from the start of the
     * trace; a larger one is almost always an absolute timestamp (Unix epoch seconds), and the simulator keeps
     * per-second utilization up to the last arrival.
     */
    public static final double MAX_ARRIVAL_SECONDS = 1e7;

    /** The most requests a generator ({@code vtc}, {@code servegen}) makes for one workload: 10,000,000. */
    public static final long MAX_GENERATED_REQUESTS = 10_000_000;

    private final String name;
    private final String description;
    private final String[] tenantNames;
    private final Map<String, Double> weights;
    private final long[] ids;
    private final int[] tenant;
    private final double[] arrival;
    private final int[] input;
    private final int[] output;
    private final String[] text; // null when no request has prompt text

    private Workload(String name, String description, String[] tenantNames, Map<String, Double> weights, long[] ids,
            int[] tenant, double[] arrival, int[] input, int[] output, String[] text) {
        this.name = name;
        this.description = description;
        this.tenantNames = tenantNames;
        this.weights = weights;
        this.ids = ids;
        this.tenant = tenant;
        this.arrival = arrival;
        this.input = input;
        this.output = output;
        this.text = text;
    }

    /** A new builder. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** How the workload was made (source, tenant rule, options). */
    public String description() {
        return description;
    }

    /** Number of requests. */
    public int size() {
        return arrival.length;
    }

    /** Tenant ids, in order of first appearance. */
    public List<String> tenants() {
        return List.of(tenantNames);
    }

    /** Tenant weights (every tenant present; 1 unless set). */
    public Map<String, Double> weights() {
        return weights;
    }

    public long id(int i) {
        return ids[i];
    }

    /** Tenant index of request i (into {@link #tenants()}). */
    public int tenantIndex(int i) {
        return tenant[i];
    }

    public String tenant(int i) {
        return tenantNames[tenant[i]];
    }

    public double arrival(int i) {
        return arrival[i];
    }

    public int input(int i) {
        return input[i];
    }

    public int output(int i) {
        return output[i];
    }

    /** The prompt text of request i, or null when the workload has none for it. */
    public String promptText(int i) {
        return text == null ? null : text[i];
    }

    /** Whether any request carries prompt text. */
    public boolean hasPromptText() {
        return text != null;
    }

    /** Last arrival in seconds (0 when empty). */
    public double lastArrival() {
        return arrival.length == 0 ? 0 : arrival[arrival.length - 1];
    }

    /** Largest prompt plus output of any request. */
    public int maxContext() {
        int m = 0;
        for (int i = 0; i < arrival.length; i++) {
            m = Math.max(m, input[i] + output[i]);
        }
        return m;
    }

    /**
     * A derived workload: keeps requests arriving in [from, to) (seconds, before speed-up), rebased so the first
     * kept arrival is at its offset from {@code from}, divides arrival times by {@code speed}, keeps at most
     * {@code limit} requests (0 = all) and clamps prompt and output to the given maxima (0 = no clamp).
     */
    public Workload transform(double from, double to, double speed, int limit, int maxInput, int maxOutput) {
        if (!(speed > 0)) {
            throw new IllegalArgumentException("speed must be > 0, got " + speed);
        }
        Builder b = builder(name).description(description);
        for (String t : tenantNames) {
            b.tenant(t, weights.get(t));
        }
        for (int i = 0; i < size(); i++) {
            if (arrival[i] < from || arrival[i] >= to) {
                continue;
            }
            if (limit > 0 && b.size() >= limit) {
                break;
            }
            int in = maxInput > 0 ? Math.min(input[i], maxInput) : input[i];
            int out = maxOutput > 0 ? Math.min(output[i], maxOutput) : output[i];
            double at = (arrival[i] - from) / speed;
            if (at > MAX_ARRIVAL_SECONDS) {
                throw new IllegalArgumentException("workload '" + name + "': request " + ids[i] + " would arrive at " + at
                        + " s after from=" + from + " and speed=" + speed + ", beyond the " + MAX_ARRIVAL_SECONDS
                        + " s (about 116 days) the simulator keeps; raise speed or narrow from/to");
            }
            b.add(ids[i], tenantNames[tenant[i]], at, in, out, promptText(i));
        }
        return b.build();
    }

    /** The same requests under another name and description. */
    public Workload relabel(String newName, String newDescription) {
        return new Workload(newName, newDescription, tenantNames, weights, ids, tenant, arrival, input, output, text);
    }

    /**
     * The same requests with some tenant weights replaced.
     *
     * @throws IllegalArgumentException for a weight that is not finite and positive, or an unknown tenant
     */
    public Workload withWeights(Map<String, Double> newWeights) {
        Map<String, Double> w = new LinkedHashMap<>(weights);
        for (Map.Entry<String, Double> e : newWeights.entrySet()) {
            if (!w.containsKey(e.getKey())) {
                throw new IllegalArgumentException("weight for unknown tenant '" + e.getKey() + "'; tenants: " + w.keySet());
            }
            if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("weight of tenant '" + e.getKey() + "' must be finite and > 0, got " + e.getValue());
            }
            w.put(e.getKey(), e.getValue());
        }
        return new Workload(name, description, tenantNames, Collections.unmodifiableMap(w), ids, tenant, arrival, input, output, text);
    }

    /** Requests per tenant. */
    public int[] countsPerTenant() {
        int[] c = new int[tenantNames.length];
        for (int t : tenant) {
            c[t]++;
        }
        return c;
    }

    @Override
    public String toString() {
        return "Workload[" + name + ", " + size() + " requests, " + tenantNames.length + " tenants, " + String.format(java.util.Locale.ROOT, "%.1f", lastArrival()) + " s]";
    }

    /** Collects requests in any order; {@link #build()} sorts them by arrival (stable). */
    public static final class Builder {
        private final String name;
        private String description = "";
        private final Map<String, Integer> tenantIndex = new HashMap<>();
        private final List<String> names = new ArrayList<>();
        private final Map<String, Double> weights = new LinkedHashMap<>();
        private long[] ids = new long[1024];
        private int[] tenant = new int[1024];
        private double[] arrival = new double[1024];
        private int[] input = new int[1024];
        private int[] output = new int[1024];
        private String[] text; // allocated at the first request with text
        private int n;

        Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** The workload's name. */
        public String name() {
            return name;
        }

        public Builder description(String text) {
            description = Objects.requireNonNull(text, "description");
            return this;
        }

        /** Declares a tenant (so tenants with no request still appear) with a weight (null = 1). */
        public Builder tenant(String id, Double weight) {
            index(id);
            if (weight != null) {
                if (!(weight > 0) || weight.isInfinite()) {
                    throw new IllegalArgumentException("weight of tenant '" + id + "' must be finite and > 0, got " + weight);
                }
                weights.put(id, weight);
            }
            return this;
        }

        public int size() {
            return n;
        }

        /**
         * Adds a request.
         *
         * @throws IllegalArgumentException for a negative or non-finite arrival, one beyond {@link #MAX_ARRIVAL_SECONDS}, or
         *                                  non-positive lengths
         */
        public Builder add(long id, String tenantId, double arrivalSeconds, int inputTokens, int outputTokens) {
            return add(id, tenantId, arrivalSeconds, inputTokens, outputTokens, null);
        }

        /**
         * Adds a request with its prompt text (null: none).
         *
         * @throws IllegalArgumentException for a negative or non-finite arrival, one beyond {@link #MAX_ARRIVAL_SECONDS}, or
         *                                  non-positive lengths
         */
        public Builder add(long id, String tenantId, double arrivalSeconds, int inputTokens, int outputTokens, String promptText) {
            if (!(arrivalSeconds >= 0) || Double.isInfinite(arrivalSeconds)) {
                throw new IllegalArgumentException("arrival must be finite and >= 0, got " + arrivalSeconds);
            }
            if (arrivalSeconds > MAX_ARRIVAL_SECONDS) {
                throw new IllegalArgumentException(arrivalTooLate(arrivalSeconds));
            }
            if (inputTokens <= 0 || outputTokens <= 0) {
                throw new IllegalArgumentException("input and output tokens must be > 0, got " + inputTokens + ", " + outputTokens);
            }
            if (tenantId == null || tenantId.isBlank()) {
                throw new IllegalArgumentException("tenant must be non-blank");
            }
            if (n == arrival.length) {
                int m = n * 2;
                ids = Arrays.copyOf(ids, m);
                tenant = Arrays.copyOf(tenant, m);
                arrival = Arrays.copyOf(arrival, m);
                input = Arrays.copyOf(input, m);
                output = Arrays.copyOf(output, m);
                if (text != null) {
                    text = Arrays.copyOf(text, m);
                }
            }
            if (promptText != null && text == null) {
                text = new String[arrival.length];
            }
            if (text != null) {
                text[n] = promptText;
            }
            ids[n] = id;
            tenant[n] = index(tenantId);
            arrival[n] = arrivalSeconds;
            input[n] = inputTokens;
            output[n] = outputTokens;
            n++;
            return this;
        }

        /** The message for an arrival beyond {@link #MAX_ARRIVAL_SECONDS}. */
        static String arrivalTooLate(double arrivalSeconds) {
            return "arrival " + arrivalSeconds + " s is beyond 10000000 s (about 116 days): arrivals are seconds from the start of "
                    + "the trace, not absolute timestamps";
        }

        private int index(String id) {
            Integer i = tenantIndex.get(id);
            if (i == null) {
                i = names.size();
                tenantIndex.put(id, i);
                names.add(id);
            }
            return i;
        }

        public Workload build() {
            Integer[] order = new Integer[n];
            boolean sorted = true;
            for (int i = 0; i < n; i++) {
                order[i] = i;
                if (i > 0 && arrival[i] < arrival[i - 1]) {
                    sorted = false;
                }
            }
            if (!sorted) {
                Arrays.sort(order, (x, y) -> Double.compare(arrival[x], arrival[y]));
            }
            long[] ids2 = new long[n];
            int[] t2 = new int[n];
            double[] a2 = new double[n];
            int[] i2 = new int[n];
            int[] o2 = new int[n];
            String[] x2 = text == null ? null : new String[n];
            for (int k = 0; k < n; k++) {
                int j = order[k];
                ids2[k] = ids[j];
                t2[k] = tenant[j];
                a2[k] = arrival[j];
                i2[k] = input[j];
                o2[k] = output[j];
                if (x2 != null) {
                    x2[k] = text[j];
                }
            }
            Map<String, Double> w = new LinkedHashMap<>();
            for (String t : names) {
                w.put(t, weights.getOrDefault(t, 1.0));
            }
            return new Workload(name, description, names.toArray(new String[0]), Collections.unmodifiableMap(w), ids2, t2,
                    a2, i2, o2, x2);
        }
    }
}

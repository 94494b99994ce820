package dev.equinox.bench.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Generates a multi-tenant workload from ServeGen's per-client statistics (Xiang et al., arXiv:2505.09999;
 * alibaba/ServeGen, Apache-2.0): every client is a tenant. Location: the data directory holding
 * {@code servegen_<model>_client_rates.csv.gz} and {@code servegen_<model>_client_lengths.jsonl.gz}.
 *
 * <p>Generation, for the time span [start, start + duration) of the source's clock: the {@code clients} clients
 * with the highest mean rate over the span are kept (tenant {@code c<id>}); within each 600 s window a client's
 * gaps are drawn from its fitted inter-arrival distribution (Gamma or Weibull with the file's shape and scale) and
 * rescaled so their mean is 1 / rate of the window, as ServeGen's own generator does; each request's input and
 * output lengths are drawn from the client's empirical distributions of the 6-hour window containing the arrival
 * (the nearest window with data when that one is missing). Arrivals are then rebased to start at 0.
 *
 * <p>Keys: {@code model=language_m-large} (or language_m-mid, language_m-small, reason_deepseek-r1),
 * {@code clients=8}, {@code start=43200} (seconds; noon of the first day), {@code duration=600},
 * {@code rate-scale=1}.
 */
public final class ServeGenGenerator implements WorkloadReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Zero gaps in a row after which a window's inter-arrival distribution is taken to be degenerate. */
    static final int MAX_STALLED_DRAWS = 100_000;

    @Override
    public String name() {
        return "servegen";
    }

    @Override
    public String usage() {
        return "servegen:DATA_DIR  keys model=language_m-large clients=8 start=43200 duration=600 rate-scale=1";
    }

    private static final class Window {
        final double start;
        final double rate;
        final String dist;
        final double p1;
        final double p2;
        final long line; // of the rates file, for messages

        Window(double start, double rate, String dist, double p1, double p2, long line) {
            this.start = start;
            this.rate = rate;
            this.dist = dist;
            this.p1 = p1;
            this.p2 = p2;
            this.line = line;
        }
    }

    private static final class Lengths {
        final int[] inVals;
        final double[] inCum;
        final int[] outVals;
        final double[] outCum;

        Lengths(int[] inVals, double[] inCum, int[] outVals, double[] outCum) {
            this.inVals = inVals;
            this.inCum = inCum;
            this.outVals = outVals;
            this.outCum = outCum;
        }
    }

    @Override
    public Workload read(WorkloadSpec spec) throws IOException {
        String model = spec.string("model", "language_m-large");
        int clients = spec.integer("clients", 8);
        double start = spec.number("start", 43200);
        double duration = spec.number("duration", 600);
        double scale = spec.number("rate-scale", 1);
        spec.checkKeys(Set.of("model", "clients", "start", "duration", "rate-scale"));
        if (clients < 1 || !(duration > 0) || !(scale > 0) || !(start >= 0)) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': clients >= 1, duration > 0, rate-scale > 0, start >= 0 required");
        }
        Path dir = Path.of(spec.location().isEmpty() ? "." : spec.location());
        String ratesFile = dir.resolve("servegen_" + model + "_client_rates.csv.gz").toString();
        String lengthsFile = dir.resolve("servegen_" + model + "_client_lengths.jsonl.gz").toString();

        // 1. rates per client within the span
        Map<Integer, List<Window>> windows = new TreeMap<>();
        try (BufferedReader r = TraceFiles.open(ratesFile)) {
            StringBuilder buf = new StringBuilder(128);
            String line = TraceFiles.readLine(r, buf);
            if (line == null || !line.startsWith("client_id")) {
                throw new WorkloadFormatException(ratesFile, 1, null, "expected the header client_id,window_start_s,rate_rps,cv,iat_dist,iat_param1,iat_param2");
            }
            long no = 1;
            while ((line = TraceFiles.readLine(r, buf)) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (f.length != 7) {
                    throw new WorkloadFormatException(ratesFile, no, null, "expected 7 fields, got " + f.length);
                }
                double ws = TraceFiles.parseTime(ratesFile, no, "window_start_s", f[1]);
                if (ws + 600 <= start || ws >= start + duration) {
                    continue;
                }
                int id = TraceFiles.parseNonNegativeInt(ratesFile, no, "client_id", f[0]);
                double rate = TraceFiles.parseTime(ratesFile, no, "rate_rps", f[2]);
                String dist = f[4].trim();
                double p1 = rate > 0 ? TraceFiles.parseTime(ratesFile, no, "iat_param1", f[5]) : 0;
                double p2 = rate > 0 ? TraceFiles.parseTime(ratesFile, no, "iat_param2", f[6]) : 0;
                if (rate > 0 && !dist.equals("Gamma") && !dist.equals("Weibull")) {
                    throw new WorkloadFormatException(ratesFile, no, "iat_dist", "expected Gamma or Weibull, got '" + dist + "'");
                }
                // a shape or scale of 0 gives only zero gaps: the window would never end
                if (rate > 0 && !(p1 > 0)) {
                    throw new WorkloadFormatException(ratesFile, no, "iat_param1", "must be > 0 when rate_rps > 0, got " + f[5].trim());
                }
                if (rate > 0 && !(p2 > 0)) {
                    throw new WorkloadFormatException(ratesFile, no, "iat_param2", "must be > 0 when rate_rps > 0, got " + f[6].trim());
                }
                windows.computeIfAbsent(id, k -> new ArrayList<>()).add(new Window(ws, rate * scale, dist, p1, p2, no));
            }
        }
        // 2. top clients by mean rate over the span
        List<Map.Entry<Integer, List<Window>>> ranked = new ArrayList<>(windows.entrySet());
        ranked.sort((a, b) -> {
            int c = Double.compare(meanRate(b.getValue()), meanRate(a.getValue()));
            return c != 0 ? c : Integer.compare(a.getKey(), b.getKey());
        });
        List<Integer> chosen = new ArrayList<>();
        for (Map.Entry<Integer, List<Window>> e : ranked) {
            if (chosen.size() >= clients || meanRate(e.getValue()) <= 0) {
                break;
            }
            chosen.add(e.getKey());
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': no client has requests in [" + start + ", " + (start + duration) + ")");
        }
        double expected = 0; // requests the rates promise over the span
        for (int c : chosen) {
            for (Window w : windows.get(c)) {
                expected += w.rate * Math.max(0, Math.min(w.start + 600, start + duration) - Math.max(w.start, start));
            }
        }
        if (expected > Workload.MAX_GENERATED_REQUESTS) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "workload spec '%s': about %.4g requests, more than %d, the most a "
                    + "generated workload may have; use a shorter duration or a lower rate-scale", spec.text(), expected,
                    Workload.MAX_GENERATED_REQUESTS));
        }
        // 3. length distributions of the chosen clients
        Map<Integer, TreeMap<Double, Lengths>> lengths = new HashMap<>();
        for (int c : chosen) {
            lengths.put(c, new TreeMap<>());
        }
        try (BufferedReader r = TraceFiles.open(lengthsFile)) {
            StringBuilder buf = new StringBuilder(1 << 16);
            String line;
            long no = 0;
            while ((line = TraceFiles.readLine(r, buf)) != null) {
                no++;
                int id = leadingClientId(line);
                if (id < 0 || !lengths.containsKey(id)) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new WorkloadFormatException(lengthsFile, no, null, "invalid JSON: " + e.getOriginalMessage());
                }
                double ws = n.path("window_start_s").asDouble(-1);
                Lengths l = parseLengths(lengthsFile, no, n);
                if (l != null) {
                    lengths.get(id).put(ws, l);
                }
            }
        }
        // 4. generate
        Workload.Builder b = Workload.builder(spec.text());
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        long idSeq = 0;
        for (int c : chosen) {
            String tenant = "c" + c;
            b.tenant(tenant, null);
            TreeMap<Double, Lengths> ls = lengths.get(c);
            if (ls.isEmpty()) {
                throw new IllegalArgumentException("client " + c + " of " + model + " has no length distribution in " + lengthsFile);
            }
            SplittableRandom cr = rnd.split();
            for (Window w : windows.get(c)) {
                if (w.rate <= 0) {
                    continue;
                }
                double lo = Math.max(w.start, start);
                double hi = Math.min(w.start + 600, start + duration);
                double mean = w.dist.equals("Gamma") ? w.p1 * w.p2 : w.p2 * gammaFn(1 + 1 / w.p1);
                double fix = mean > 0 && Double.isFinite(mean) ? (1 / w.rate) / mean : 1;
                double t = w.start;
                int stalled = 0; // draws in a row that left t where it was
                while (true) {
                    double gap = w.dist.equals("Gamma") ? Sampling.gamma(cr, w.p1, w.p2) : Sampling.weibull(cr, w.p1, w.p2);
                    if (!(gap >= 0) || Double.isInfinite(gap)) {
                        gap = 1 / w.rate;
                    }
                    double next = t + gap * fix;
                    if (next > t) {
                        stalled = 0;
                    } else if (next == t) {
                        // a zero gap (a burst) is legitimate, but a distribution whose gaps are (almost) always zero, or
                        // below the clock's resolution, would never reach the end of the window
                        if (++stalled >= MAX_STALLED_DRAWS) {
                            throw new WorkloadFormatException(ratesFile, w.line, null, "the " + w.dist + "(" + w.p1 + ", " + w.p2
                                    + ") inter-arrival distribution of client " + c + " gives " + MAX_STALLED_DRAWS
                                    + " zero gaps in a row: arrivals would never advance");
                        }
                    } else {
                        next = t + 1 / w.rate; // not a number: step by the mean gap
                    }
                    t = next;
                    if (t >= hi) {
                        break;
                    }
                    if (t < lo) {
                        continue;
                    }
                    Map.Entry<Double, Lengths> e = ls.floorEntry(t);
                    if (e == null) {
                        e = ls.ceilingEntry(t);
                    }
                    Lengths l = e.getValue();
                    int in = Math.max(1, l.inVals[Sampling.pick(l.inCum, cr.nextDouble())]);
                    int out = Math.max(1, l.outVals[Sampling.pick(l.outCum, cr.nextDouble())]);
                    if (b.size() >= Workload.MAX_GENERATED_REQUESTS) {
                        throw new IllegalArgumentException("workload spec '" + spec.text() + "': more than " + Workload.MAX_GENERATED_REQUESTS
                                + " requests, the most a generated workload may have; use a shorter duration or a lower rate-scale");
                    }
                    b.add(idSeq++, tenant, t - start, in, out);
                }
            }
        }
        b.description(String.format(Locale.ROOT, "ServeGen %s: top %d clients by rate over [%.0f, %.0f) s, rate-scale %.2f, seed %d",
                model, chosen.size(), start, start + duration, scale, spec.seed()));
        return b.build();
    }

    private static double meanRate(List<Window> ws) {
        double s = 0;
        for (Window w : ws) {
            s += w.rate;
        }
        return ws.isEmpty() ? 0 : s / ws.size();
    }

    /** Reads {@code {"client_id": N,} at the start of a line without parsing the rest; -1 if not found. */
    static int leadingClientId(String line) {
        int k = line.indexOf("\"client_id\"");
        if (k < 0 || k > 8) {
            return -1;
        }
        int i = line.indexOf(':', k) + 1;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        int v = 0;
        int digits = 0;
        while (i < line.length() && Character.isDigit(line.charAt(i))) {
            v = v * 10 + (line.charAt(i++) - '0');
            digits++;
        }
        return digits == 0 ? -1 : v;
    }

    private static Lengths parseLengths(String file, long no, JsonNode n) throws WorkloadFormatException {
        JsonNode in = n.get("input_tokens");
        JsonNode out = n.get("output_tokens");
        if (in == null || out == null) {
            throw new WorkloadFormatException(file, no, in == null ? "input_tokens" : "output_tokens", "missing");
        }
        int[] iv = values(file, no, "input_tokens", in);
        int[] ov = values(file, no, "output_tokens", out);
        if (iv.length == 0 || ov.length == 0) {
            return null;
        }
        return new Lengths(iv, cumulative(file, no, "input_tokens", in, iv.length), ov, cumulative(file, no, "output_tokens", out, ov.length));
    }

    private static int[] values(String file, long no, String field, JsonNode d) throws WorkloadFormatException {
        JsonNode v = d.get("values");
        if (v == null || !v.isArray()) {
            throw new WorkloadFormatException(file, no, field + ".values", "missing or not an array");
        }
        int[] r = new int[v.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (int) Math.round(v.get(i).asDouble());
        }
        return r;
    }

    private static double[] cumulative(String file, long no, String field, JsonNode d, int n) throws WorkloadFormatException {
        JsonNode p = d.get("probs");
        if (p == null || !p.isArray() || p.size() != n) {
            throw new WorkloadFormatException(file, no, field + ".probs", "missing or not as long as values (" + n + ")");
        }
        double[] c = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            double x = p.get(i).asDouble();
            if (!(x >= 0)) {
                throw new WorkloadFormatException(file, no, field + ".probs", "negative probability " + x);
            }
            s += x;
            c[i] = s;
        }
        if (!(s > 0)) {
            throw new WorkloadFormatException(file, no, field + ".probs", "probabilities sum to 0");
        }
        return c;
    }

    /** Lanczos approximation of the gamma function (for the Weibull mean). */
    static double gammaFn(double x) {
        double[] g = {676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.PI / (Math.sin(Math.PI * x) * gammaFn(1 - x));
        }
        x -= 1;
        double a = 0.99999999999980993;
        double t = x + 7.5;
        for (int i = 0; i < 8; i++) {
            a += g[i] / (x + i + 1);
        }
        return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
    }
}

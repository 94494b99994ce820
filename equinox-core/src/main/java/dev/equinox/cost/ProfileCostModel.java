package dev.equinox.cost;

import dev.equinox.spi.EngineCostModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A step-time model fitted to a measured step profile, such as the CSV a GPU calibration run writes:
 *
 * <pre>
 * prefill_tokens,decode_seqs,decode_context_tokens,step_ms
 * 512,0,0,41.7
 * 0,32,32768,13.2
 * </pre>
 *
 * Lines starting with {@code #} and blank lines are skipped; columns after the fourth are ignored. Each row is one
 * measured step; its prefill is taken as one chunk starting from an empty context, so its attended pairs are
 * {@code prefill_tokens^2}. The model is the least-squares fit, in relative error and with non-negative
 * coefficients, of
 *
 * <pre>
 * step_ms = c0 + cP x prefillTokens + cA x prefillAttendedPairs + cD x decodeSequences + cK x decodeContextTokens
 * </pre>
 *
 * which is monotone in every input. Because the coefficients are non-negative it cannot bend (a memory-bound
 * plateau followed by a compute-bound slope is approximated by a line); {@link #maxRelativeError()} says how well
 * the form fits the file. Immutable and thread-safe.
 */
public final class ProfileCostModel implements EngineCostModel {
    /** The required leading header fields, in order. */
    public static final List<String> HEADER = List.of("prefill_tokens", "decode_seqs", "decode_context_tokens", "step_ms");

    private final String source;
    private final double[] c;
    private final int rows;
    private final double medianRelError;
    private final double maxRelError;
    private final double cpuOverheadSeconds;

    private ProfileCostModel(String source, double[] c, int rows, double median, double max, double cpuOverhead) {
        this.source = source;
        this.c = c;
        this.rows = rows;
        this.medianRelError = median;
        this.maxRelError = max;
        this.cpuOverheadSeconds = cpuOverhead;
    }

    /**
     * Loads and fits a profile file.
     *
     * @param csv                the profile
     * @param cpuOverheadSeconds the engine's CPU time per step contained in the measured step times (used only for
     *                           {@link #utilization}); 0 if unknown
     * @throws IllegalArgumentException naming the file, line and field of the first bad input
     * @throws UncheckedIOException     if the file cannot be read, naming it
     */
    public static ProfileCostModel load(Path csv, double cpuOverheadSeconds) {
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            return load(csv.toString(), r, cpuOverheadSeconds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read step profile " + csv + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads and fits a profile from a reader; {@code sourceName} names it in error messages and
     * {@link #describe()}.
     */
    public static ProfileCostModel load(String sourceName, Reader in, double cpuOverheadSeconds) {
        if (!(cpuOverheadSeconds >= 0) || Double.isInfinite(cpuOverheadSeconds)) {
            throw new IllegalArgumentException("cpuOverheadSeconds must be finite and >= 0, got " + cpuOverheadSeconds);
        }
        List<double[]> data = parse(sourceName, in);
        double[][] x = new double[data.size()][];
        double[] y = new double[data.size()];
        for (int i = 0; i < y.length; i++) {
            double[] d = data.get(i);
            x[i] = features(d[0], d[0] * d[0], d[1], d[2]);
            y[i] = d[3];
        }
        double[] coef = LeastSquares.fitRelativeNonNegative(x, y);
        double[] rel = new double[y.length];
        double max = 0;
        for (int i = 0; i < y.length; i++) {
            double pred = 0;
            for (int j = 0; j < coef.length; j++) {
                pred += coef[j] * x[i][j];
            }
            rel[i] = Math.abs(pred / y[i] - 1);
            max = Math.max(max, rel[i]);
        }
        Arrays.sort(rel);
        double median = rel.length % 2 == 1 ? rel[rel.length / 2] : (rel[rel.length / 2 - 1] + rel[rel.length / 2]) / 2;
        return new ProfileCostModel(sourceName, coef, y.length, median, max, cpuOverheadSeconds);
    }

    private static double[] features(double prefill, double pairs, double seqs, double context) {
        return new double[] {1, prefill, pairs, seqs, context};
    }

    private static List<double[]> parse(String src, Reader in) {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<double[]> out = new ArrayList<>();
        boolean header = false;
        int lineNo = 0;
        try {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lineNo++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] f = t.split(",", -1);
                if (!header) {
                    checkHeader(src, lineNo, f);
                    header = true;
                    continue;
                }
                if (f.length < HEADER.size()) {
                    throw bad(src, lineNo, "expected " + HEADER.size() + " fields " + HEADER + ", got " + f.length);
                }
                double p = whole(src, lineNo, 0, f[0]);
                double s = whole(src, lineNo, 1, f[1]);
                double k = whole(src, lineNo, 2, f[2]);
                double ms = positive(src, lineNo, f[3]);
                if (p == 0 && s == 0) {
                    throw bad(src, lineNo, "empty step: prefill_tokens and decode_seqs are both 0");
                }
                if (s == 0 && k > 0) {
                    throw bad(src, lineNo, "field 'decode_context_tokens' is " + (long) k + " but decode_seqs is 0");
                }
                out.add(new double[] {p, s, k, ms});
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read step profile " + src + " at line " + (lineNo + 1), e);
        }
        if (!header) {
            throw new IllegalArgumentException(src + ": no header; expected " + String.join(",", HEADER));
        }
        if (out.size() < 2) {
            throw new IllegalArgumentException(src + ": " + out.size() + " data rows; at least 2 measured steps are needed");
        }
        return out;
    }

    private static void checkHeader(String src, int lineNo, String[] f) {
        for (int i = 0; i < HEADER.size(); i++) {
            String got = i < f.length ? f[i].strip() : "(missing)";
            if (!HEADER.get(i).equals(got)) {
                throw bad(src, lineNo, "header field " + (i + 1) + " must be '" + HEADER.get(i) + "', got '" + got
                        + "' (expected header " + String.join(",", HEADER) + ")");
            }
        }
    }

    private static double whole(String src, int lineNo, int col, String raw) {
        String v = raw.strip();
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(src, lineNo, "field '" + HEADER.get(col) + "': not a whole number: '" + v + "'");
        }
        if (n < 0) {
            throw bad(src, lineNo, "field '" + HEADER.get(col) + "': must be >= 0, got " + n);
        }
        return n;
    }

    private static double positive(String src, int lineNo, String raw) {
        String v = raw.strip();
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw bad(src, lineNo, "field 'step_ms': not a number: '" + v + "'");
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw bad(src, lineNo, "field 'step_ms': must be a finite number > 0, got " + v);
        }
        return d;
    }

    private static IllegalArgumentException bad(String src, int lineNo, String what) {
        return new IllegalArgumentException(src + ":" + lineNo + ": " + what);
    }

    @Override
    public double stepSeconds(int prefillTokens, long prefillAttendedPairs, int decodeSequences, long decodeContextTokens) {
        int pTok = Math.max(0, prefillTokens);
        int dSeq = Math.max(0, decodeSequences);
        if (pTok == 0 && dSeq == 0) {
            return 0;
        }
        double ms = c[0] + c[1] * pTok + c[2] * Math.max(0, prefillAttendedPairs) + c[3] * dSeq
                + c[4] * Math.max(0, decodeContextTokens);
        return ms * 1e-3;
    }

    @Override
    public double cpuOverheadSeconds() {
        return cpuOverheadSeconds;
    }

    /** The chunk's share of the fitted variable terms: per-token and attended-pair coefficients. */
    @Override
    public double prefillCost(int chunkTokens, int contextAfter) {
        if (chunkTokens <= 0) {
            return 0;
        }
        double t = chunkTokens;
        return (c[1] * t + c[2] * t * Math.max(contextAfter, chunkTokens)) * 1e-3;
    }

    /** One sequence's share of the fitted variable terms: per-sequence and per-context-token coefficients. */
    @Override
    public double decodeCost(int contextTokens) {
        return (c[3] + c[4] * Math.max(0, contextTokens)) * 1e-3;
    }

    /** Idle latency with the prompt as one chunk from an empty context (attended pairs = prompt squared). */
    @Override
    public double idleLatencySeconds(int promptTokens, int outputTokens) {
        return CostModels.idleLatency(this, promptTokens, outputTokens);
    }

    /** The fitted coefficients {c0, cP, cA, cD, cK} in milliseconds (per token, pair, sequence, context token). */
    public double[] coefficientsMs() {
        return c.clone();
    }

    /** Median relative error of the fit over the file's rows. */
    public double medianRelativeError() {
        return medianRelError;
    }

    /** Largest relative error of the fit over the file's rows. */
    public double maxRelativeError() {
        return maxRelError;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "profile %s (%d steps, fit error median %.1f %%, max %.1f %%)", source, rows,
                100 * medianRelError, 100 * maxRelError);
    }
}

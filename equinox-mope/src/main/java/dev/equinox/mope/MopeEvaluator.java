package dev.equinox.mope;

import dev.equinox.Predictors;
import dev.equinox.RequestSpec;
import dev.equinox.spi.Predictor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores MoPE against its baselines on examples in file order: the single proxy (same encoder, no router), the
 * training median (a constant), and VTC's per-tenant moving average (core's {@code Predictors.movingAverage()}:
 * p &lt;- (4p + actual)/5, first observation sets p, 1 before any; predicts, then observes each example). Every
 * method's prediction is clamped to the example's generation cap when one is known, as a scheduler would.
 * Reported per method: mean and median absolute error (L1) in tokens, mean L1 per true bucket, Kendall's tau-b;
 * and the router's accuracy (learned classifier alone, and after the rules).
 *
 * <p>Two extra rows measure online calibration, which gives MoPE and the proxy the feedback the moving average
 * lives on: per tenant, an EMA (weight 0.2, VTC's) of log(actual / predicted) over the examples seen so far,
 * added to the next log prediction ({@code mope+online}, {@code proxy+online}). It is an evaluation of the idea,
 * not what {@link Mope} does: the predictor stays a pure function of the request.
 */
final class MopeEvaluator {
    private MopeEvaluator() {
    }

    /** Errors of one method. */
    record Score(String method, double meanL1, double medianL1, double[] perBucketL1, double kendallTau) {
    }

    /** How many predictions took one route (router, or a rule) and MoPE's and the proxy's mean L1 on them. */
    record Route(String reason, int count, double mopeL1, double proxyL1) {
    }

    /** All scores plus router accuracy and the breakdown by route. */
    record Report(int examples, int cappedExamples, Map<String, Score> scores, double routerAccuracy,
            double routedAccuracy, int[] bucketCounts, int[] boundaries, List<Route> routes) {
        Score get(String method) {
            return scores.get(method);
        }

        String format() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "examples: %d (%d reach their generation cap: true length >= recorded)%n",
                    examples, cappedExamples));
            sb.append("buckets: boundaries ").append(Arrays.toString(boundaries)).append(", true-bucket counts ")
                    .append(Arrays.toString(bucketCounts)).append('\n');
            sb.append(String.format(Locale.ROOT, "router accuracy: learned %.3f, with rules %.3f%n", routerAccuracy, routedAccuracy));
            sb.append(String.format(Locale.ROOT, "%-16s %10s %10s %10s  %s%n", "method", "mean L1", "median L1", "tau-b",
                    "mean L1 per true bucket"));
            for (Score s : scores.values()) {
                StringBuilder pb = new StringBuilder();
                for (double d : s.perBucketL1()) {
                    pb.append(String.format(Locale.ROOT, "%9.1f", d));
                }
                sb.append(String.format(Locale.ROOT, "%-16s %10.1f %10.1f %10.3f  %s%n", s.method(), s.meanL1(),
                        s.medianL1(), s.kendallTau(), pb));
            }
            sb.append("routes:");
            for (Route r : routes) {
                sb.append(String.format(Locale.ROOT, " %s %d (mope %.1f, proxy %.1f);", r.reason(), r.count(), r.mopeL1(), r.proxyL1()));
            }
            return sb.append('\n').toString();
        }
    }

    /** EMA weight of the online calibration: VTC's moving-average weight, (4p + a) / 5. */
    static final double ONLINE_WEIGHT = 0.2;

    static Report evaluate(MopeModel model, List<Dataset.Example> data, float[][] raw) {
        int n = data.size();
        int k = model.buckets();
        int[] truth = new int[n];
        int[] mope = new int[n];
        int[] proxy = new int[n];
        int[] median = new int[n];
        int[] moving = new int[n];
        int[] mopeOnline = new int[n];
        int[] hard = new int[n];
        int[] soft = new int[n];
        int[] proxyOnline = new int[n];
        Map<String, double[]> residual = new java.util.HashMap<>(); // tenant -> EMA of log(actual / mope), of log(actual / proxy)
        int routerHits = 0;
        int routedHits = 0;
        int capped = 0;
        int[] counts = new int[k];
        Map<String, double[]> routes = new java.util.TreeMap<>(); // reason -> count, mope error sum, proxy error sum
        try (Predictor ma = Predictors.movingAverage()) {
            for (int i = 0; i < n; i++) {
                Dataset.Example e = data.get(i);
                truth[i] = e.outputTokens();
                int cap = e.cap();
                if (cap > 0 && e.outputTokens() >= cap) {
                    capped++;
                }
                LengthRules.Cue cue = LengthRules.analyse(e.prompt());
                float[] f = model.standardise(raw[i]);
                MopeModel.Result r = model.predict(f, cue, cap);
                mope[i] = r.tokens();
                hard[i] = r.hardTokens();
                soft[i] = r.softTokens();
                proxy[i] = model.proxyTokens(f, cap);
                median[i] = MopeModel.clamp(model.trainMedian, cap);
                RequestSpec spec = RequestSpec.of(e.tenant(), 1, cap > 0 ? cap : Integer.MAX_VALUE);
                moving[i] = MopeModel.clamp(ma.predict(spec).outputTokens(), cap);
                ma.observe(spec, e.outputTokens());
                MopeModel.Result free = cap > 0 ? model.predict(f, cue, 0) : r;
                double lm = Math.log(free.tokens());
                double lp = Math.log(cap > 0 ? model.proxyTokens(f, 0) : proxy[i]);
                double[] c = residual.get(e.tenant());
                mopeOnline[i] = MopeModel.clamp(Math.exp(lm + (c == null ? 0 : c[0])), cap);
                proxyOnline[i] = MopeModel.clamp(Math.exp(lp + (c == null ? 0 : c[1])), cap);
                double rm = Math.log(e.outputTokens()) - lm;
                double rp = Math.log(e.outputTokens()) - lp;
                if (c == null) {
                    residual.put(e.tenant(), new double[] {rm, rp});
                } else {
                    c[0] = (1 - ONLINE_WEIGHT) * c[0] + ONLINE_WEIGHT * rm;
                    c[1] = (1 - ONLINE_WEIGHT) * c[1] + ONLINE_WEIGHT * rp;
                }
                int tb = model.bucketOf(e.outputTokens());
                counts[tb]++;
                routerHits += r.routerBucket() == tb ? 1 : 0;
                routedHits += r.bucket() == tb ? 1 : 0;
                double[] acc = routes.computeIfAbsent(r.reason(), x -> new double[3]);
                acc[0]++;
                acc[1] += Math.abs(mope[i] - truth[i]);
                acc[2] += Math.abs(proxy[i] - truth[i]);
            }
        }
        Map<String, Score> scores = new LinkedHashMap<>();
        scores.put("mope", score("mope", truth, mope, model));
        scores.put("single-proxy", score("single-proxy", truth, proxy, model));
        scores.put("moving-average", score("moving-average", truth, moving, model));
        scores.put("train-median", score("train-median", truth, median, model));
        scores.put("mope-hard", score("mope-hard", truth, hard, model));
        scores.put("mope-soft", score("mope-soft", truth, soft, model));
        scores.put("mope+online", score("mope+online", truth, mopeOnline, model));
        scores.put("proxy+online", score("proxy+online", truth, proxyOnline, model));
        List<Route> rs = new java.util.ArrayList<>();
        routes.forEach((reason, a) -> rs.add(new Route(reason, (int) a[0], a[1] / a[0], a[2] / a[0])));
        return new Report(n, capped, scores, (double) routerHits / n, (double) routedHits / n, counts, model.boundaries.clone(), rs);
    }

    static Score score(String name, int[] truth, int[] pred, MopeModel model) {
        int n = truth.length;
        double[] err = new double[n];
        double sum = 0;
        int k = model.buckets();
        double[] bSum = new double[k];
        int[] bCnt = new int[k];
        for (int i = 0; i < n; i++) {
            err[i] = Math.abs(pred[i] - truth[i]);
            sum += err[i];
            int b = model.bucketOf(truth[i]);
            bSum[b] += err[i];
            bCnt[b]++;
        }
        double[] per = new double[k];
        for (int b = 0; b < k; b++) {
            per[b] = bCnt[b] == 0 ? Double.NaN : bSum[b] / bCnt[b];
        }
        Arrays.sort(err);
        double med = n == 0 ? Double.NaN : n % 2 == 1 ? err[n / 2] : (err[n / 2 - 1] + err[n / 2]) / 2;
        return new Score(name, n == 0 ? Double.NaN : sum / n, med, per, kendallTauB(truth, pred));
    }

    /** Kendall's tau-b (ties in either variable handled); O(n^2), fine for a few thousand examples. */
    static double kendallTauB(int[] a, int[] b) {
        long concordant = 0;
        long discordant = 0;
        long tiesA = 0;
        long tiesB = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                int da = Integer.compare(a[i], a[j]);
                int db = Integer.compare(b[i], b[j]);
                if (da == 0 && db == 0) {
                    continue;
                }
                if (da == 0) {
                    tiesA++;
                } else if (db == 0) {
                    tiesB++;
                } else if (da == db) {
                    concordant++;
                } else {
                    discordant++;
                }
            }
        }
        double denom = Math.sqrt((double) (concordant + discordant + tiesA) * (concordant + discordant + tiesB));
        return denom == 0 ? 0 : (concordant - discordant) / denom;
    }
}

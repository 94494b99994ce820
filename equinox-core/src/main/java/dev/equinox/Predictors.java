package dev.equinox;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import dev.equinox.spi.PredictorProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bundled {@link Predictor}s, and lookup by name (bundled ones first, then {@link PredictorProvider}s found
 * with {@link ServiceLoader}, e.g. "mope" from equinox-mope).
 */
public final class Predictors {
    private Predictors() {
    }

    /** Predicts the request's {@code maxOutputTokens}: never under-reserves, never preempts. */
    public static Predictor maxTokens() {
        return new Named("max-tokens") {
            @Override
            public Prediction predict(RequestSpec r) {
                return Prediction.ofTokens(r.maxOutputTokens());
            }
        };
    }

    /** The true output length ({@link RequestSpec#expectedOutputTokens()}), or max tokens when unknown. */
    public static Predictor oracle() {
        return oracle(0, 0);
    }

    /**
     * The true length L perturbed uniformly in [L(1-r), L(1+r)] (VTC's oracle variant), drawn from a generator
     * seeded with {@code seed} and advanced once per prediction, so a fixed submission order gives a fixed result.
     */
    public static Predictor oracle(double r, long seed) {
        if (!(r >= 0) || r >= 1) {
            throw new IllegalArgumentException("oracle noise r must be in [0, 1), got " + r);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        String name = r == 0 ? "oracle" : "oracle+-" + Math.round(r * 100) + "%";
        return new Named(name) {
            @Override
            public Prediction predict(RequestSpec spec) {
                int truth = spec.expectedOutputTokens() > 0 ? spec.expectedOutputTokens() : spec.maxOutputTokens();
                if (r == 0) {
                    return Prediction.ofTokens(truth);
                }
                double f = 1 - r + 2 * r * rnd.nextDouble();
                return Prediction.ofTokens(Math.max(1, (int) Math.round(truth * f)));
            }
        };
    }

    /**
     * VTC's per-tenant moving average of finished requests' output lengths: p &lt;- (4p + actual) / 5, the first
     * observation sets p; 1 token before any observation (VTC starts at 0). Engine-thread state.
     */
    public static Predictor movingAverage() {
        return new MovingAverage();
    }

    /** The name suffix that {@link #byName} reads as {@link #calibrated(Predictor)} of the rest ("mope+calibrated"). */
    public static final String CALIBRATED_SUFFIX = "+calibrated";

    /** {@link #calibrated(Predictor, double)} with weight 0.2 (VTC's moving average also moves a fifth of the way). */
    public static Predictor calibrated(Predictor base) {
        return calibrated(base, 0.2);
    }

    /**
     * {@code base} corrected online per tenant: each tenant's predictions are multiplied by exp(b), where b is an
     * exponential moving average (weight {@code weight}; the first observation sets it) of log(actual / base's
     * prediction) over its finished requests. A prompt-only model (MoPE) ranks a tenant's requests; this follows the
     * tenant's length scale, which a model trained on another data set cannot know (the {@code mope+online} rows of
     * docs/mope.md evaluate this correction one request at a time on unrounded predictions: across data sets, mean
     * L1 83.8 -> 25.6 and 143.1 -> 106.7 tokens). It learns from the prediction the scheduler received
     * ({@link Predictor#observe(RequestSpec, int, int)}): b moves by {@code weight} x log(actual / that prediction),
     * which is the moving average of the base's log error when no other request of the tenant finished in between,
     * and with requests in flight still settles where the tenant's predictions are right on (log) average.
     * Requests without a prediction teach nothing. Blocking if {@code base} is; thread-safe when {@code base} is
     * (corrections are read by predictions while the engine thread writes them). Predictions carry output tokens
     * only (the base's performance fields describe its own token count). The same prompt can get different
     * predictions as the tenant's history grows: this is state, not noise.
     *
     * @throws IllegalArgumentException for a weight outside (0, 1]
     */
    public static Predictor calibrated(Predictor base, double weight) {
        if (base == null) {
            throw new NullPointerException("base");
        }
        if (!(weight > 0) || weight > 1) {
            throw new IllegalArgumentException("calibration weight must be in (0, 1], got " + weight);
        }
        return new Calibrated(base, weight);
    }

    /**
     * A predictor by name: "max-tokens", "oracle", "oracle50" (+/- 50 %, seed 42), "moving-average", the name
     * of a {@link PredictorProvider} on the class path, or any of these followed by {@value #CALIBRATED_SUFFIX}
     * ({@link #calibrated(Predictor)}).
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public static Predictor byName(String name, Map<String, String> options) {
        if (name.endsWith(CALIBRATED_SUFFIX) && name.length() > CALIBRATED_SUFFIX.length()) {
            return calibrated(byName(name.substring(0, name.length() - CALIBRATED_SUFFIX.length()), options));
        }
        switch (name) {
            case "max-tokens":
                return maxTokens();
            case "oracle":
                return oracle();
            case "oracle50":
                return oracle(0.5, 42);
            case "moving-average":
                return movingAverage();
            default:
                break;
        }
        List<String> known = new ArrayList<>(List.of("max-tokens", "oracle", "oracle50", "moving-average"));
        for (PredictorProvider p : ServiceLoader.load(PredictorProvider.class)) {
            if (p.name().equals(name)) {
                return p.create(options == null ? Map.of() : options);
            }
            known.add(p.name());
        }
        throw new IllegalArgumentException("unknown predictor '" + name + "'; known: " + known);
    }

    private abstract static class Named implements Predictor {
        private final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final class Calibrated extends Named {
        private final Predictor base;
        private final double weight;
        /** Per tenant, b = the moving average of log(actual / predicted); boxed, so a prediction reads it safely. */
        private final Map<String, Double> logFactor = new ConcurrentHashMap<>();

        Calibrated(Predictor base, double weight) {
            super(base.name() + CALIBRATED_SUFFIX);
            this.base = base;
            this.weight = weight;
        }

        @Override
        public Prediction predict(RequestSpec r) {
            int raw = base.predict(r).outputTokens();
            Double b = logFactor.get(r.tenant());
            if (b == null) {
                return Prediction.ofTokens(raw);
            }
            double tokens = raw * Math.exp(b);
            return Prediction.ofTokens((int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(tokens))));
        }

        @Override
        public void observe(RequestSpec r, int actual) {
            base.observe(r, actual);
        }

        @Override
        public void observe(RequestSpec r, int actual, int predicted) {
            if (predicted > 0 && actual > 0) {
                // predicted = raw x exp(b), so b + w (log actual - log predicted) = (1 - w) b + w log(actual / raw):
                // the moving average of the base's own log error (the first observation sets it, as VTC's average),
                // exactly when the prediction was not clamped to the request's cap; a clamped one (predicted = cap
                // = actual) moves b by nothing, where the unclamped evaluation would have moved it down
                double error = Math.log((double) actual / predicted);
                logFactor.merge(r.tenant(), error, (b, e) -> b + weight * e);
            }
            base.observe(r, actual, 0); // the base's own prediction is not known here (it was corrected)
        }

        @Override
        public boolean isBlocking() {
            return base.isBlocking();
        }

        @Override
        public void close() {
            base.close();
        }
    }

    private static final class MovingAverage extends Named {
        private final Map<String, double[]> byTenant = new HashMap<>();

        MovingAverage() {
            super("moving-average");
        }

        @Override
        public Prediction predict(RequestSpec r) {
            double[] p = byTenant.get(r.tenant());
            return Prediction.ofTokens(p == null ? 1 : Math.max(1, (int) Math.round(p[0])));
        }

        @Override
        public void observe(RequestSpec r, int actual) {
            double[] p = byTenant.get(r.tenant());
            if (p == null) {
                byTenant.put(r.tenant(), new double[] {actual});
            } else {
                p[0] = (4 * p[0] + actual) / 5;
            }
        }
    }
}

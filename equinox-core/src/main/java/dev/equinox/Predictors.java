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

    /**
     * A predictor by name: "max-tokens", "oracle", "oracle50" (+/- 50 %, seed 42), "moving-average", or the name
     * of a {@link PredictorProvider} on the class path.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public static Predictor byName(String name, Map<String, String> options) {
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

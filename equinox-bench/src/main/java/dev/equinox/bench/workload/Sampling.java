package dev.equinox.bench.workload;

import java.util.SplittableRandom;

/** Deterministic random helpers shared by the generators (no global state; every caller passes its random). */
final class Sampling {
    private Sampling() {
    }

    /** Gamma(shape, scale) by Marsaglia and Tsang (2000); shape &lt; 1 by the boost u^(1/shape). */
    static double gamma(SplittableRandom rnd, double shape, double scale) {
        if (shape < 1) {
            double u = rnd.nextDouble();
            return gamma(rnd, shape + 1, scale) * Math.pow(u == 0 ? Double.MIN_VALUE : u, 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x;
            double v;
            do {
                x = normal(rnd);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rnd.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v * scale;
            }
        }
    }

    /** Weibull(shape, scale) by inversion. */
    static double weibull(SplittableRandom rnd, double shape, double scale) {
        double u = rnd.nextDouble();
        return scale * Math.pow(-Math.log1p(-u), 1 / shape);
    }

    static double normal(SplittableRandom rnd) {
        double u;
        double v;
        double s;
        do {
            u = rnd.nextDouble() * 2 - 1;
            v = rnd.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }

    /** A stateless hash of (seed, i) to [0, 1): SplitMix64's finaliser. */
    static double hashUnit(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    /** Index of the first cumulative weight &gt; u * total (cum is increasing, cum[last] = total). */
    static int pick(double[] cum, double u) {
        double x = u * cum[cum.length - 1];
        int lo = 0;
        int hi = cum.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cum[mid] > x) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}

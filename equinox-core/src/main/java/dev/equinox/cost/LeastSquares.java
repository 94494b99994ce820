package dev.equinox.cost;

import java.util.Arrays;

/**
 * Small dense least-squares solvers used to fit cost models (at build time for the calibrated presets, at run time
 * for {@link ProfileCostModel}). Rows are weighted by {@code 1 / y}, so the fits minimise the sum of squared
 * <em>relative</em> errors: a 0.02 ms attention kernel counts as much as a 4 ms one.
 */
final class LeastSquares {
    private LeastSquares() {
    }

    /**
     * Minimises {@code sum_i ((x_i . c - y_i) / y_i)^2} subject to {@code c >= 0}: an ordinary fit, then the most
     * negative coefficient is pinned to zero and the rest refitted, until none is negative (a simple active-set
     * method; exact for the few, well-separated columns used here).
     *
     * @param x rows of features, all of the same length
     * @param y targets, each {@code > 0}
     * @return the non-negative coefficients, one per column
     */
    static double[] fitRelativeNonNegative(double[][] x, double[] y) {
        int k = x[0].length;
        boolean[] active = new boolean[k];
        Arrays.fill(active, true);
        while (true) {
            double[] c = fitRelative(x, y, active);
            int worst = -1;
            for (int j = 0; j < k; j++) {
                if (active[j] && c[j] < 0 && (worst < 0 || c[j] < c[worst])) {
                    worst = j;
                }
            }
            if (worst < 0) {
                return c;
            }
            active[worst] = false;
        }
    }

    /**
     * Relative-error least squares over the columns flagged in {@code active}; the others get 0. Columns are scaled
     * to a maximum of 1 before the normal equations are formed, so features of very different magnitude (tokens and
     * tokens squared) stay well conditioned.
     */
    static double[] fitRelative(double[][] x, double[] y, boolean[] active) {
        int k = x[0].length;
        int[] cols = new int[k];
        int m = 0;
        for (int j = 0; j < k; j++) {
            if (active[j]) {
                cols[m++] = j;
            }
        }
        double[] scale = new double[m];
        for (int p = 0; p < m; p++) {
            for (double[] row : x) {
                scale[p] = Math.max(scale[p], Math.abs(row[cols[p]]));
            }
            scale[p] = scale[p] > 0 ? 1 / scale[p] : 1;
        }
        double[][] a = new double[m][m + 1];
        for (int i = 0; i < x.length; i++) {
            if (!(y[i] > 0)) {
                throw new IllegalArgumentException("target " + i + " must be > 0, got " + y[i]);
            }
            double w2 = 1 / (y[i] * y[i]);
            for (int p = 0; p < m; p++) {
                double xp = x[i][cols[p]] * scale[p];
                for (int q = 0; q < m; q++) {
                    a[p][q] += w2 * xp * x[i][cols[q]] * scale[q];
                }
                a[p][m] += w2 * xp * y[i];
            }
        }
        double[] sol = solve(a, m);
        double[] c = new double[k];
        for (int p = 0; p < m; p++) {
            c[cols[p]] = sol[p] * scale[p];
        }
        return c;
    }

    /**
     * Gaussian elimination with partial pivoting on the augmented {@code m x (m+1)} system; a column without
     * information (a pivot of zero, e.g. a feature that is 0 in every row) gets coefficient 0.
     */
    private static double[] solve(double[][] a, int m) {
        double scale = 0;
        for (int p = 0; p < m; p++) {
            scale = Math.max(scale, Math.abs(a[p][p]));
        }
        double eps = 1e-12 * Math.max(scale, Double.MIN_NORMAL);
        boolean[] dead = new boolean[m];
        for (int col = 0; col < m; col++) {
            int piv = col;
            for (int r = col + 1; r < m; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) {
                    piv = r;
                }
            }
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            if (Math.abs(a[col][col]) <= eps) {
                dead[col] = true;
                continue;
            }
            for (int r = 0; r < m; r++) {
                if (r != col && a[r][col] != 0) {
                    double f = a[r][col] / a[col][col];
                    for (int q = col; q <= m; q++) {
                        a[r][q] -= f * a[col][q];
                    }
                }
            }
        }
        double[] sol = new double[m];
        for (int p = 0; p < m; p++) {
            sol[p] = dead[p] ? 0 : a[p][m] / a[p][p];
        }
        return sol;
    }

    /**
     * Fits the smooth roofline {@code t(n) = (m^p + (k n)^p)^(1/p)}: a flat memory-bound time {@code m}, a
     * compute-bound slope {@code k} and a knee sharpness {@code p}. For a fixed {@code p} the model is linear in
     * {@code (m^p, k^p)} once both sides are raised to the power {@code p}, so each {@code p} on a grid from 1 to
     * 8 (step 0.01) gets a closed-form relative fit, and the {@code p} with the smallest sum of squared relative
     * errors of {@code t} wins.
     *
     * @return {@code {m, k, p}}
     */
    static double[] fitSmoothRoofline(double[] n, double[] t) {
        double[] best = null;
        double bestErr = Double.POSITIVE_INFINITY;
        double[][] x = new double[n.length][2];
        double[] yp = new double[n.length];
        for (int step = 100; step <= 800; step++) {
            double p = step / 100.0;
            for (int i = 0; i < n.length; i++) {
                x[i][0] = 1;
                x[i][1] = Math.pow(n[i], p);
                yp[i] = Math.pow(t[i], p);
            }
            double[] c = fitRelativeNonNegative(x, yp);
            double m = Math.pow(c[0], 1 / p);
            double k = Math.pow(c[1], 1 / p);
            double err = 0;
            for (int i = 0; i < n.length; i++) {
                double r = smoothRoofline(m, k, p, n[i]) / t[i] - 1;
                err += r * r;
            }
            if (err < bestErr) {
                bestErr = err;
                best = new double[] {m, k, p};
            }
        }
        return best;
    }

    /** {@code (m^p + (k n)^p)^(1/p)}, computed without overflow. */
    static double smoothRoofline(double m, double k, double p, double n) {
        double a = m;
        double b = k * n;
        double hi = Math.max(a, b);
        if (hi <= 0) {
            return 0;
        }
        double lo = Math.min(a, b);
        return hi * Math.pow(1 + Math.pow(lo / hi, p), 1 / p);
    }
}

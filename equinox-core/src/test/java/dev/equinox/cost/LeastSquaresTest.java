package dev.equinox.cost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cost-model fitter against fits worked out by hand (the calibration tests build on it). */
class LeastSquaresTest {

    @Test
    void fitRelative_exactLine_recoveredWhateverTheWeights() {
        // y = 2 + 3x at x = 1, 2, 3
        double[][] x = {{1, 1}, {1, 2}, {1, 3}};
        double[] y = {5, 8, 11};
        assertArrayEquals(new double[] {2, 3}, LeastSquares.fitRelative(x, y, new boolean[] {true, true}), 1e-12);
    }

    @Test
    void fitRelative_constant_minimisesRelativeNotAbsoluteError() {
        // min_c sum ((c - y_i) / y_i)^2  =>  c = sum(1/y_i) / sum(1/y_i^2) = (1 + 1/2) / (1 + 1/4) = 1.2
        // (ordinary least squares would give the mean, 1.5)
        double[] c = LeastSquares.fitRelative(new double[][] {{1}, {1}}, new double[] {1, 2}, new boolean[] {true});
        assertEquals(1.2, c[0], 1e-12);
    }

    @Test
    void fitRelative_inactiveColumn_getsZeroAndTheRestIsRefitted() {
        double[] c = LeastSquares.fitRelative(new double[][] {{1, 1}, {1, 2}}, new double[] {2, 1}, new boolean[] {true, false});
        assertArrayEquals(new double[] {1.2, 0}, c, 1e-12); // the constant alone, as above with y = 2, 1
    }

    @Test
    void fitRelativeNonNegative_negativeSlopePinnedToZero() {
        // unconstrained: y = 3 - x exactly (slope -1); the slope is pinned to 0 and the constant refitted:
        // c = (1/2 + 1/1) / (1/4 + 1/1) = 1.2
        double[] c = LeastSquares.fitRelativeNonNegative(new double[][] {{1, 1}, {1, 2}}, new double[] {2, 1});
        assertArrayEquals(new double[] {1.2, 0}, c, 1e-12);
    }

    @Test
    void fitRelativeNonNegative_allPositive_sameAsUnconstrained() {
        double[][] x = {{1, 1}, {1, 2}, {1, 3}};
        double[] y = {5, 8, 11};
        assertArrayEquals(new double[] {2, 3}, LeastSquares.fitRelativeNonNegative(x, y), 1e-12);
    }

    @Test
    void smoothRoofline_handValues() {
        assertEquals(5.0, LeastSquares.smoothRoofline(3, 1, 2, 4), 1e-12);   // sqrt(3^2 + 4^2)
        assertEquals(2.0, LeastSquares.smoothRoofline(1, 1, 1, 1), 1e-12);   // 1 + 1 at p = 1
        assertEquals(0.0, LeastSquares.smoothRoofline(0, 0, 2, 10), 0);
        // huge p: the max of the two terms, without overflow
        assertEquals(40.0, LeastSquares.smoothRoofline(3, 10, 400, 4), 1e-9);
    }

    @Test
    void fitSmoothRoofline_curveOnTheGrid_recovered() {
        // t(n) = (2^3 + (0.01 n)^3)^(1/3): flat 2 ms, then 0.01 ms per token; p = 3 lies on the fitter's grid
        double[] n = {1, 50, 100, 200, 400, 800};
        double[] t = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            t[i] = Math.cbrt(8 + Math.pow(0.01 * n[i], 3));
        }
        double[] fit = LeastSquares.fitSmoothRoofline(n, t);
        assertArrayEquals(new double[] {2, 0.01, 3}, fit, 1e-6);
    }
}

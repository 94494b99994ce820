package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

/**
 * The bundled {@link SchedulingPolicy}s. Each call returns a new, unbound instance (a policy keeps per-tenant
 * state and serves one scheduler).
 */
public final class Policies {
    /** Weight of the User Fairness Counter in the holistic score; the Equinox paper's default. */
    public static final double DEFAULT_ALPHA = 0.7;
    /** Weight of the Resource Fairness Counter in the holistic score; the Equinox paper's default. */
    public static final double DEFAULT_BETA = 0.3;
    /** Width of the candidate window, in units of the largest request seen; the Equinox paper's default value. */
    public static final double DEFAULT_DELTA = 0.1;

    private Policies() {
    }

    /** First come, first served across tenants. */
    public static SchedulingPolicy fcfs() {
        return new FcfsPolicy(false);
    }

    /** Lower {@link RequestSpec#priority()} first, then arrival order. */
    public static SchedulingPolicy priority() {
        return new FcfsPolicy(true);
    }

    /** VTC with its artifact's exact charging rules (no length prediction). */
    public static SchedulingPolicy vtc() {
        return new VtcPolicy(false);
    }

    /** VTC's length-prediction variant: predicted output charged at admission, refunded at finish. */
    public static SchedulingPolicy vtcWithPrediction() {
        return new VtcPolicy(true);
    }

    /** Equinox's holistic policy with alpha = 0.7, beta = 0.3, delta = 0.1 (see {@link #equinox(double, double, double)}). */
    public static SchedulingPolicy equinox() {
        return equinox(DEFAULT_ALPHA, DEFAULT_BETA, DEFAULT_DELTA);
    }

    /**
     * Equinox's holistic policy. Every charge moves a tenant's holistic counter by alpha x weighted tokens / U +
     * beta x GPU-seconds / R (U, R: the largest single-request charges seen so far), per unit of tenant weight;
     * tokens and GPU-seconds are charged on prediction at admission and settled as the request runs and ends. The
     * tenants whose counter is within {@code delta} of the smallest among the backlogged ones are candidates, and
     * the candidate head with the least predicted work is admitted ({@code delta = 0}: lowest counter first). Two
     * continuously backlogged tenants stay within delta + 1 largest request of each other when charges are exact.
     * The formulas, the decisions behind them and measurements are in {@code docs/fairness.md}.
     *
     * @throws IllegalArgumentException unless alpha, beta >= 0 with alpha + beta = 1 and delta >= 0
     */
    public static SchedulingPolicy equinox(double alpha, double beta, double delta) {
        return new HolisticPolicy(alpha, beta, delta);
    }

    /**
     * Equinox's holistic policy with the User Fairness Counter discounted by latency: when a request ends, its
     * UFC charge is multiplied by q^gamma with q = L* / max(L*, L), L the latency from arrival and L* the
     * idle-engine latency of the cost model. gamma = 0 is {@link #equinox(double, double, double)}; 1 is the
     * project notes' definition. Off by default because, measured, the discount rewards the tenant whose own
     * backlog makes it wait (docs/fairness.md).
     *
     * @throws IllegalArgumentException as {@link #equinox(double, double, double)}, or for a gamma that is not a
     *                                  finite number >= 0
     */
    public static SchedulingPolicy equinox(double alpha, double beta, double delta, double gamma) {
        return new HolisticPolicy(alpha, beta, delta, gamma);
    }

    /**
     * A policy by name: "fcfs", "priority", "vtc", "vtc-predict", "equinox".
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static SchedulingPolicy byName(String name) {
        switch (name) {
            case "fcfs":
                return fcfs();
            case "priority":
                return priority();
            case "vtc":
                return vtc();
            case "vtc-predict":
                return vtcWithPrediction();
            case "equinox":
                return equinox();
            default:
                throw new IllegalArgumentException("unknown policy '" + name + "'; known: fcfs, priority, vtc, vtc-predict, equinox");
        }
    }
}

package dev.equinox.bench.sim;

import dev.equinox.Policies;
import dev.equinox.spi.SchedulingPolicy;
import java.util.List;

/**
 * Scheduling policies by name: {@code fcfs}, {@code vtc}, {@code vtc-predict} (VTC's length-prediction
 * variant), {@code equinox} (holistic, with the config's alpha, beta, delta, gamma), {@code priority}. Each call creates
 * a new instance (a policy serves one scheduler).
 */
public final class PolicyRegistry {
    /** The names, in report order. */
    public static final List<String> NAMES = List.of("fcfs", "vtc", "vtc-predict", "equinox", "priority");

    private PolicyRegistry() {
    }

    /**
     * @throws IllegalArgumentException for an unknown name
     */
    public static SchedulingPolicy create(SimConfig c) {
        if (c.policy().equals("equinox")) {
            return Policies.equinox(c.alpha(), c.beta(), c.delta(), c.gamma());
        }
        if (!NAMES.contains(c.policy())) {
            throw new IllegalArgumentException("unknown policy '" + c.policy() + "'; known: " + NAMES);
        }
        return Policies.byName(c.policy());
    }
}

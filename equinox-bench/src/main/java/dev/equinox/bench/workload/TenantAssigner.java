package dev.equinox.bench.workload;

import java.util.Locale;

/**
 * Gives each request of a trace without tenant ids (Azure, Mooncake) a tenant, deterministically: tenant k of n
 * ({@code t0 .. t(n-1)}) receives a share proportional to {@code 1 / (k + 1)^skew} (Zipf; skew 0 = equal shares),
 * and request number i (its 0-based row in the file) goes to the tenant whose cumulative share contains
 * {@code hash(seed, i)}, a SplitMix64 hash mapped to [0, 1). The same file, n, skew and seed always give the same
 * assignment, independent of the other rows. Defaults: 8 tenants, skew 1.0 (t0 gets 37 %, t7 4.6 %).
 */
public final class TenantAssigner {
    /** The most tenants a trace may be split into: 1,000,000. */
    public static final int MAX_TENANTS = 1_000_000;

    private final int tenants;
    private final double skew;
    private final long seed;
    private final double[] cum;
    private final String[] names;

    public TenantAssigner(int tenants, double skew, long seed) {
        if (tenants < 1 || tenants > MAX_TENANTS) {
            throw new IllegalArgumentException("tenants must be between 1 and " + MAX_TENANTS + ", got " + tenants);
        }
        if (!(skew >= 0) || Double.isInfinite(skew)) {
            throw new IllegalArgumentException("skew must be finite and >= 0, got " + skew);
        }
        this.tenants = tenants;
        this.skew = skew;
        this.seed = seed;
        cum = new double[tenants];
        names = new String[tenants];
        double s = 0;
        for (int k = 0; k < tenants; k++) {
            s += 1 / Math.pow(k + 1, skew);
            cum[k] = s;
            names[k] = "t" + k;
        }
    }

    /** From spec keys {@code tenants} (default 8) and {@code skew} (default 1.0). */
    static TenantAssigner fromSpec(WorkloadSpec spec) {
        int tenants = spec.integer("tenants", 8);
        double skew = spec.number("skew", 1.0);
        try {
            return new TenantAssigner(tenants, skew, spec.seed());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': " + e.getMessage(), e);
        }
    }

    /** The tenant of row {@code i}. */
    public String tenantOf(long i) {
        return names[Sampling.pick(cum, Sampling.hashUnit(seed, i))];
    }

    /** Tenant ids in order. */
    public String[] names() {
        return names.clone();
    }

    /** For descriptions. */
    public String describe() {
        return String.format(Locale.ROOT, "tenants=%d zipf skew=%.2f seed=%d (row-hash assignment)", tenants, skew, seed);
    }
}

package dev.equinox.bench.jmh;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.metrics.FairnessTracker;
import dev.equinox.spi.SchedulingPolicy;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The heap a scheduler keeps per tenant it has seen (it forgets none; {@code Equinox.maxTenants} bounds them).
 * For each bundled fair policy: a fresh scheduler, then {@code n} tenants ({@code "user-0"} ...
 * {@code "user-<n-1>"}), one request each, all run to completion; the heap in use after a full GC, minus the same
 * before, divided by {@code n}; last, Equinox with the fairness tracker the Micrometer binder keeps. The tenants' id
 * strings are part of it (the scheduler keeps them). Not a JMH
 * benchmark: JMH measures time and allocation, this is retained memory.
 *
 * <pre>
 * java -Xmx4g -cp equinox-bench/target/equinox.jar dev.equinox.bench.jmh.TenantFootprint [n [rounds]]
 * </pre>
 */
public final class TenantFootprint {

    private TenantFootprint() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String[] names = {"fcfs", "vtc", "equinox"};
        @SuppressWarnings("unchecked")
        Supplier<SchedulingPolicy>[] policies = new Supplier[] {Policies::fcfs, Policies::vtc, Policies::equinox};
        System.out.printf(Locale.ROOT, "%,d tenants, one request each; bytes kept per tenant, %d rounds%n", n, rounds);
        for (int p = 0; p < names.length; p++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", names[p]));
            for (int r = 0; r < rounds; r++) {
                line.append(String.format(Locale.ROOT, " %6.0f", bytesPerTenant(policies[p].get(), n, false)));
            }
            System.out.println(line);
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", "equinox + FairnessTracker"));
        for (int r = 0; r < rounds; r++) {
            line.append(String.format(Locale.ROOT, " %6.0f", bytesPerTenant(Policies.equinox(), n, true)));
        }
        System.out.println(line);
    }

    /**
     * Bytes kept per tenant; with {@code tracker}, a {@link FairnessTracker} (what the Micrometer binder keeps,
     * default 60 buckets) listens to the scheduler and is counted too.
     */
    static double bytesPerTenant(SchedulingPolicy policy, int n, boolean tracker) throws InterruptedException {
        Scheduler s = Equinox.builder().policy(policy).kvCache(1 << 16, 16).tokenBudget(8192).build();
        FairnessTracker t = tracker ? FairnessTracker.create(s.ticker()) : null;
        if (t != null) {
            s.addListener(t);
        }
        long before = usedAfterGc();
        for (int i = 0; i < n; i++) {
            s.submit(RequestSpec.of("user-" + i, 16, 1));
            if ((i & 1023) == 1023) {
                drain(s);
            }
        }
        drain(s);
        if (s.stats().finished() != n) {
            throw new IllegalStateException("finished " + s.stats().finished() + " of " + n);
        }
        long after = usedAfterGc();
        Reference.reachabilityFence(s);
        Reference.reachabilityFence(t);
        s.close();
        return (after - before) / (double) n;
    }

    private static void drain(Scheduler s) {
        while (true) {
            Batch b = s.nextBatch();
            if (b.isEmpty()) {
                return;
            }
            s.complete(b, 1_000, Double.NaN);
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return mem.getHeapMemoryUsage().getUsed();
    }
}

package dev.equinox.bench.jmh;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.Predictors;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A tenant per user: {@code tenants} requests, each from a tenant the scheduler has not seen, submitted from one
 * thread, then the first step, which adopts them all (the policy hears of each tenant and each backlog). One shot
 * per iteration on a fresh scheduler; the score is the whole of it in milliseconds.
 *
 * <pre>
 * java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main NewTenantsBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class NewTenantsBenchmark {

    @Param({"10000", "200000"})
    public int tenants;

    private RequestSpec[] specs;
    private Scheduler scheduler;

    @Setup(Level.Trial)
    public void specs() {
        specs = new RequestSpec[tenants];
        for (int i = 0; i < tenants; i++) {
            specs[i] = RequestSpec.of("user-" + i, 64, 64);
        }
    }

    @Setup(Level.Iteration)
    public void freshScheduler() {
        scheduler = Equinox.builder()
                .policy(Policies.equinox())
                .predictor(Predictors.oracle())
                .kvCache(1 << 16, 16)
                .tokenBudget(8192)
                .maxRunning(256)
                .queueLimits(tenants + 1, 1)
                .build();
    }

    /** Submits one request per new tenant, then forms and completes the first step. */
    @Benchmark
    public int submitAndAdopt() {
        for (RequestSpec spec : specs) {
            scheduler.submit(spec).orElseThrow();
        }
        Batch b = scheduler.nextBatch();
        int n = b.size();
        scheduler.complete(b, 1_000_000L, 0.9);
        return n;
    }

    @TearDown(Level.Iteration)
    public void close() {
        scheduler.close();
    }
}

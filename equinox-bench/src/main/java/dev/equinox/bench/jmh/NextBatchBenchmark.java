package dev.equinox.bench.jmh;

import dev.equinox.Batch;
import dev.equinox.BatchingMode;
import dev.equinox.Equinox;
import dev.equinox.FinishReason;
import dev.equinox.Policies;
import dev.equinox.Predictors;
import dev.equinox.RequestHandle;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.Ticker;
import dev.equinox.spi.SchedulingPolicy;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Cost of one engine step on the scheduler's side: {@code nextBatch()} plus {@code complete()}, in steady state.
 * Each shape is (running, waiting, tenants); every step, the requests that reach their (pre-generated) output
 * length finish and as many new requests are submitted, so the running and waiting counts stay constant. Inputs
 * (tenants, prompt 32-128 tokens, output 16-512 tokens) are pre-generated with a fixed seed; time is a virtual
 * ticker advancing 10 ms per step; the oracle predictor is used so admission is not limited by guesses.
 *
 * <p>Run (after {@code ./mvnw -pl equinox-bench package -DskipTests}):
 * <pre>
 * java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main NextBatchBenchmark
 * java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main NextBatchBenchmark -p shape=256/10000/1000 -p policy=EQUINOX -f 1 -wi 3 -i 5
 * </pre>
 * The score is the average time per step (nextBatch + report stop tokens + complete + resubmissions). The engine
 * side is what a real engine does: it tracks its sequences itself (here, output tokens left, in an array by request
 * id) and reports the stop tokens; until 2026-11-27 the benchmark read each entry's request handle and spec for
 * this instead, a cost of the benchmark, not of the scheduler (about 70 us per step at 4k running). Shapes
 * 256/10k/1k and 4k/100k/10k are issue 2's targets (mean <= 20 us and <= 100 us for nextBatch + completion);
 * 1k/10k/1k is issue 3's policy comparison (Equinox within 2x FCFS). {@link #stepPhases} runs the same step and
 * prints the scheduler's share (nextBatch + complete) apart from the engine's reporting and the resubmissions. With
 * {@code -prof gc}, bytes per op come from the resubmissions of finished requests (a submitted request is an object
 * graph of its own); {@link StepCounters#submitted} / {@link StepCounters#steps} counts them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class NextBatchBenchmark {

    /** The policies under test. */
    public enum PolicyKind {
        FCFS, VTC, EQUINOX;

        SchedulingPolicy create() {
            switch (this) {
                case FCFS:
                    return Policies.fcfs();
                case VTC:
                    return Policies.vtc();
                default:
                    return Policies.equinox();
            }
        }
    }

    /** running/waiting/tenants. */
    @Param({"256/10000/1000", "1024/10000/1000", "4096/100000/10000"})
    public String shape;

    @Param({"FCFS", "VTC", "EQUINOX"})
    public PolicyKind policy;

    private static final int SPECS = 1 << 18;

    private Scheduler scheduler;
    private RequestSpec[] specs;
    /**
     * The engine's state: output tokens each live request has left to produce, by request id (ids are dense). A short
     * per request (outputs are at most 512 tokens): the ids live at once span about 110k entries at the largest
     * shape, 220 KB as shorts, which stays in this machine's 512 KB L2; as ints the lookups missed it, more so for
     * the policies that interleave tenants (docs/performance.md, "The step's parts").
     */
    private final short[] left = new short[SPECS];
    private int nextSpec;
    private final long[] now = new long[1];
    private int running;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("/");
        running = Integer.parseInt(p[0]);
        int waiting = Integer.parseInt(p[1]);
        int tenants = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(42);
        String[] names = new String[tenants];
        for (int i = 0; i < tenants; i++) {
            names[i] = "tenant-" + i;
        }
        specs = new RequestSpec[SPECS];
        for (int i = 0; i < SPECS; i++) {
            int out = 16 + rnd.nextInt(497);
            specs[i] = RequestSpec.of(names[rnd.nextInt(tenants)], 32 + rnd.nextInt(97), 1024).withExpectedOutputTokens(out);
        }
        Ticker ticker = () -> now[0];
        scheduler = Equinox.builder()
                .policy(policy.create())
                .predictor(Predictors.oracle())
                .ticker(ticker)
                .kvCache(running * 48, 16) // 768 tokens per running request: never the bottleneck
                .tokenBudget(running + 4096)
                .maxRunning(running)
                .batchingMode(BatchingMode.STALL_FREE)
                .queueLimits(waiting + running + 65_536, waiting + running + 65_536)
                .build();
        for (int i = 0; i < running + waiting; i++) {
            submit();
        }
        // run until the running set is full and prefills have drained
        for (int i = 0; i < 2000 && scheduler.stats().running() < running; i++) {
            step();
        }
        for (int i = 0; i < 50; i++) {
            step();
        }
        var st = scheduler.stats();
        if (st.running() < running * 9 / 10 || st.waiting() < waiting * 9 / 10) {
            throw new IllegalStateException("not in steady state after warm-up: " + st);
        }
    }

    private void submit() {
        RequestSpec spec = specs[nextSpec];
        RequestHandle h = scheduler.submit(spec).orElseThrow();
        left[(int) (h.id() & (SPECS - 1))] = (short) spec.expectedOutputTokens();
        nextSpec = (nextSpec + 1) & (SPECS - 1);
    }

    private int step() {
        Batch b = scheduler.nextBatch();
        int n = b.size();
        int finished = reportStops(b, n);
        now[0] += 10_000_000L;
        if (n > 0) {
            scheduler.complete(b, 10_000_000L, 0.9);
        }
        resubmit(finished);
        return n;
    }

    /**
     * The engine's side: it knows from its own state (here, output tokens left by request id) which sequences sampled
     * their stop token, and reports only those. Returns how many finished.
     */
    private int reportStops(Batch b, int n) {
        int finished = 0;
        for (int i = 0; i < n; i++) {
            if (b.producesToken(i) && --left[(int) (b.requestId(i) & (SPECS - 1))] <= 0) {
                b.report(i, 1, FinishReason.STOP);
                finished++;
            }
        }
        return finished;
    }

    private void resubmit(int finished) {
        for (int k = 0; k < finished; k++) {
            submit();
        }
    }

    /** One steady-state step. */
    @Benchmark
    public int nextBatchAndComplete(StepCounters counters) {
        int before = nextSpec;
        int n = step();
        counters.submitted += (nextSpec - before) & (SPECS - 1);
        counters.steps++;
        return n;
    }

    /**
     * The same step with its parts timed by {@link System#nanoTime()} (four reads, about 125 ns a step on this
     * machine, included in the score): the scheduler's share, {@code nextBatch()} + {@code complete()}, which is what
     * an engine thread waits for, apart from the engine's own reporting and the resubmissions (which a server makes
     * on its request threads). The parts are printed by {@link PhaseCounters}.
     */
    @Benchmark
    public int stepPhases(PhaseCounters c) {
        int before = nextSpec;
        long t0 = System.nanoTime();
        Batch b = scheduler.nextBatch();
        long t1 = System.nanoTime();
        int n = b.size();
        int finished = reportStops(b, n);
        now[0] += 10_000_000L;
        long t2 = System.nanoTime();
        if (n > 0) {
            scheduler.complete(b, 10_000_000L, 0.9);
        }
        long t3 = System.nanoTime();
        resubmit(finished);
        c.record(t1 - t0, t3 - t2, t2 - t1, System.nanoTime() - t3, (nextSpec - before) & (SPECS - 1));
        return n;
    }

    /** Per-iteration counts reported next to the score: requests resubmitted (= finished) per step. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class StepCounters {
        public long submitted;
        public long steps;

        @Setup(Level.Iteration)
        public void clear() {
            submitted = 0;
            steps = 0;
        }

    }

    /**
     * {@link #stepPhases}'s parts, printed after each iteration and as a mean over the measurement iterations at the
     * end of the fork, in microseconds per step: {@code scheduler} is nextBatch + complete, {@code engine} the
     * benchmark's stop-token reporting, {@code submit} the resubmissions ({@code submitted} requests per step).
     * (Printed rather than JMH aux counters: those of type EVENTS are summed over iterations, not averaged.)
     */
    @State(Scope.Thread)
    public static class PhaseCounters {
        private final long[] iteration = new long[6];
        private final long[] measured = new long[6];
        private int measuredIterations;

        void record(long form, long complete, long engine, long submit, int submitted) {
            long[] it = iteration;
            it[0]++;
            it[1] += form;
            it[2] += complete;
            it[3] += engine;
            it[4] += submit;
            it[5] += submitted;
        }

        @TearDown(Level.Iteration)
        public void endIteration(IterationParams params) {
            System.out.println();
            System.out.println("  phases " + format(iteration));
            if (params.getType() == IterationType.MEASUREMENT) {
                for (int k = 0; k < 6; k++) {
                    measured[k] += iteration[k];
                }
                measuredIterations++;
            }
            java.util.Arrays.fill(iteration, 0);
        }

        @TearDown(Level.Trial)
        public void endTrial() {
            System.out.println();
            System.out.println("  phases, mean of " + measuredIterations + " measurement iterations: " + format(measured));
        }

        private static String format(long[] v) {
            double steps = Math.max(1, v[0]);
            return String.format(java.util.Locale.ROOT, "scheduler %.1f us/step (nextBatch %.1f + complete %.1f), "
                    + "engine %.1f, submit %.1f (%.2f requests)", (v[1] + v[2]) / 1e3 / steps, v[1] / 1e3 / steps,
                    v[2] / 1e3 / steps, v[3] / 1e3 / steps, v[4] / 1e3 / steps, v[5] / steps);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scheduler.close();
    }
}

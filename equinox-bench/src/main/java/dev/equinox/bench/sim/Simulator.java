package dev.equinox.bench.sim;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.FinishReason;
import dev.equinox.Predictors;
import dev.equinox.RequestHandle;
import dev.equinox.RequestListener;
import dev.equinox.RequestResult;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.Submission;
import dev.equinox.Ticker;
import dev.equinox.bench.workload.Workload;
import dev.equinox.spi.EngineCostModel;
import java.util.Arrays;
import java.util.Map;

/**
 * The trace-replay simulator: a discrete-event loop that drives the <em>real</em> {@link Scheduler} on virtual
 * time.
 *
 * <p>The loop: submit every request whose arrival time has passed (with its true output length attached, which
 * only the oracle predictor reads); ask {@link Scheduler#nextBatch()} for a step; if it is empty, jump the clock
 * to the next arrival; otherwise mark as finished (stop token) every entry that produces the last token of its
 * request, take the step's duration and GPU utilization from the {@link EngineCostModel}, advance the clock by
 * the duration, and report the step with {@link Scheduler#complete}. Requests that arrive during a step are
 * submitted when it ends (as in a real engine loop); their waiting time counts from their true arrival. The
 * clock is a {@link Ticker} the scheduler reads for every timestamp, so no wall time leaks in: a run is
 * deterministic for a workload, a config and a seed. A blocking predictor (MoPE) runs on the submitting thread
 * (a direct prediction executor), so its prediction is ready at admission and takes no virtual time: on a
 * thread of its own it would lag the virtual clock by orders of magnitude and the fallback would answer
 * instead. Requests with prompt text (the {@code prompts} workload format) carry it to the predictor.
 *
 * <p>One simulator runs one configuration on one workload; runs are independent and can be done on parallel
 * threads.
 */
public final class Simulator {
    /** The most seconds of per-second utilization a run keeps (the largest Java array). */
    static final int MAX_UTIL_SECONDS = Integer.MAX_VALUE - 8;

    private Simulator() {
    }

    /** The virtual clock. */
    static final class VirtualClock implements Ticker {
        long now;

        @Override
        public long read() {
            return now;
        }
    }

    /** Runs {@code config} on {@code workload}. */
    public static SimResult run(Workload workload, SimConfig config) {
        return run(workload, config, SimObserver.NONE);
    }

    /**
     * Runs {@code config} on {@code workload}, reporting progress to {@code observer}.
     *
     * @throws IllegalArgumentException for an unknown policy, predictor or cost model
     * @throws IllegalStateException    if the scheduler stops making progress with requests left
     */
    public static SimResult run(Workload workload, SimConfig config, SimObserver observer) {
        long wall0 = System.nanoTime();
        EngineCostModel cost = CostModelRegistry.create(config.costModel());
        VirtualClock clock = new VirtualClock();
        int n = workload.size();
        // the workload's longest request (at least 8,192 tokens), but never beyond the KV cache, which the builder
        // refuses: a request that cannot fit is then rejected at submission and counted, and the run goes on
        int maxContext = (int) Math.min(Math.max(8192, workload.maxContext()), (long) config.kvBlocks() * config.blockSize());
        Scheduler s = Equinox.builder()
                .policy(PolicyRegistry.create(config))
                .predictor(predictor(config))
                .predictionExecutor(Runnable::run) // blocking predictors (MoPE) answer at submit: see the class comment
                .costModel(cost)
                .ticker(clock)
                .kvCache(config.kvBlocks(), config.blockSize())
                .tokenBudget(config.tokenBudget())
                .maxRunning(config.maxRunning())
                .maxContext(maxContext)
                .batchingMode(config.mode())
                .queueLimits(Math.max(65_536, n), Math.max(65_536, n))
                .build();
        for (Map.Entry<String, Double> e : workload.weights().entrySet()) {
            s.registerTenant(e.getKey(), e.getValue());
        }

        boolean[] accepted = new boolean[n];
        long[] subIds = new long[n];   // scheduler ids in submission order (increasing)
        int[] subIdx = new int[n];     // their workload indices
        int[] subCount = new int[1];
        RequestHandle[] handles = new RequestHandle[n];
        long[] admitStep = new long[n];
        Arrays.fill(admitStep, -1);
        double[] admittedAt = new double[n];
        Arrays.fill(admittedAt, Double.NaN);
        long[] done = new long[1];
        s.addListener(new RequestListener() {
            @Override
            public void onAdmitted(RequestHandle r, long stepId) {
                int i = index(subIds, subIdx, subCount[0], r.id());
                if (i >= 0 && admitStep[i] < 0) {
                    admitStep[i] = stepId;
                    admittedAt[i] = clock.now / 1e9;
                }
            }

            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                done[0]++;
            }
        });

        // per-second buckets up to the last arrival, which Workload bounds (MAX_ARRIVAL_SECONDS, about 116 days)
        double[] util = new double[(int) Math.min(MAX_UTIL_SECONDS, Math.max(16, (long) workload.lastArrival() + 16))];
        double busy = 0;
        long steps = 0;
        int next = 0;
        while (true) {
            long now = clock.now;
            while (next < n && toNanos(workload.arrival(next)) <= now) {
                int out = workload.output(next);
                RequestSpec spec = RequestSpec.of(workload.tenant(next), workload.input(next), out).withExpectedOutputTokens(out);
                String text = workload.promptText(next);
                if (text != null) {
                    spec = spec.withPromptText(text);
                }
                Submission sub = s.submit(spec);
                if (sub.accepted()) {
                    RequestHandle h = sub.orElseThrow();
                    handles[next] = h;
                    subIds[subCount[0]] = h.id();
                    subIdx[subCount[0]++] = next;
                    accepted[next] = true;
                } else {
                    done[0]++;
                }
                next++;
            }
            Batch b = s.nextBatch();
            if (b.isEmpty()) {
                if (next < n) {
                    clock.now = Math.max(clock.now, toNanos(workload.arrival(next)));
                    continue;
                }
                if (done[0] >= n) {
                    break;
                }
                // nothing runnable and nothing left to arrive: predictions are made at submit on this thread and
                // nothing in the scheduler waits on time, so these requests can never run
                throw new IllegalStateException("scheduler made no progress with " + (n - done[0]) + " requests left at t="
                        + clock.now / 1e9 + " s: " + s.stats());
            }
            int size = b.size();
            for (int i = 0; i < size; i++) {
                if (b.producesToken(i)) {
                    RequestHandle r = b.request(i);
                    if (r.generatedTokens() + 1 >= r.spec().expectedOutputTokens()) {
                        b.report(i, 1, FinishReason.STOP);
                    }
                }
            }
            int pt = b.prefillTokens();
            long pairs = b.prefillAttendedPairs();
            int dc = b.decodeCount();
            long ctx = b.decodeContextTokens();
            double sec = cost.stepSeconds(pt, pairs, dc, ctx);
            double u = cost.utilization(pt, pairs, dc, ctx);
            long dur = Math.max(1, Math.round(sec * 1e9));
            double t0 = clock.now / 1e9;
            clock.now += dur;
            s.complete(b, dur, u);
            steps++;
            busy += dur / 1e9;
            util = addUtil(util, t0, dur / 1e9, u);
            if ((steps & 4095) == 0) {
                observer.progress(done[0], n, clock.now / 1e9);
            }
        }
        observer.progress(done[0], n, clock.now / 1e9);

        double[] firstToken = new double[n];
        double[] finished = new double[n];
        int[] generated = new int[n];
        int[] preempt = new int[n];
        for (int i = 0; i < n; i++) {
            RequestHandle h = handles[i];
            if (h == null) {
                firstToken[i] = Double.NaN;
                finished[i] = Double.NaN;
                continue;
            }
            firstToken[i] = h.firstTokenAtNanos() < 0 ? Double.NaN : h.firstTokenAtNanos() / 1e9;
            finished[i] = h.finishedAtNanos() < 0 ? Double.NaN : h.finishedAtNanos() / 1e9;
            generated[i] = h.generatedTokens();
            preempt[i] = h.preemptions();
        }
        double makespan = clock.now / 1e9;
        double[] utilTrim = Arrays.copyOf(util, Math.max(1, (int) Math.ceil(makespan)));
        var stats = s.stats();
        s.close();
        return new SimResult(workload, config, cost.describe(), accepted, admitStep, admittedAt, firstToken, finished, generated,
                preempt, steps, makespan, busy, utilTrim, System.nanoTime() - wall0, stats);
    }

    /**
     * The predictor of a config: {@code oracle50} and {@code oracle:R} (+/- R noise) use the config's seed; other
     * names go to {@link Predictors#byName} (which finds {@code mope} through its ServiceLoader provider); any of
     * them followed by {@code +calibrated} is wrapped in {@link Predictors#calibrated}.
     */
    static dev.equinox.spi.Predictor predictor(SimConfig c) {
        String name = c.predictor();
        String suffix = Predictors.CALIBRATED_SUFFIX;
        if (name.endsWith(suffix) && name.length() > suffix.length()) {
            return Predictors.calibrated(predictor(c.withPredictor(name.substring(0, name.length() - suffix.length()))));
        }
        if (name.equals("oracle50")) {
            return Predictors.oracle(0.5, c.seed());
        }
        if (name.startsWith("oracle:")) {
            try {
                return Predictors.oracle(Double.parseDouble(name.substring("oracle:".length())), c.seed());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("predictor 'oracle:R' needs a number R, got '" + name + "'");
            }
        }
        return Predictors.byName(name, Map.of());
    }

    static long toNanos(double seconds) {
        return Math.round(seconds * 1e9);
    }

    /** Index of a scheduler id among the submitted ones (ids increase in submission order); -1 if absent. */
    static int index(long[] ids, int[] idx, int count, long id) {
        int i = Arrays.binarySearch(ids, 0, count, id);
        return i >= 0 ? idx[i] : -1;
    }

    /** Adds a step's utilization x duration into 1-second buckets. */
    static double[] addUtil(double[] util, double t0, double d, double u) {
        double t = t0;
        double end = t0 + d;
        while (t < end) {
            long kk = (long) t;
            if (kk >= MAX_UTIL_SECONDS) {
                throw new IllegalStateException("virtual time reached " + kk + " s, beyond the " + MAX_UTIL_SECONDS
                        + " s of per-second utilization the simulator keeps");
            }
            int k = (int) kk;
            if (k >= util.length) {
                util = Arrays.copyOf(util, (int) Math.min(MAX_UTIL_SECONDS, Math.max(k + 1L, util.length * 2L)));
            }
            double segEnd = Math.min(end, k + 1);
            util[k] += (segEnd - t) * u;
            t = segEnd;
        }
        return util;
    }
}

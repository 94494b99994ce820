package dev.equinox.gpu;

import dev.equinox.Batch;
import dev.equinox.FinishReason;
import dev.equinox.RequestHandle;
import dev.equinox.RequestResult;
import dev.equinox.RequestSpec;
import dev.equinox.RequestStatus;
import dev.equinox.Scheduler;
import dev.equinox.Submission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine loop of a real serving engine, driving an Equinox {@link Scheduler} end to end with a
 * {@link GpuExecutor}: submit requests as their arrival times come, {@code nextBatch()}, execute, report a stop
 * token for every request that reached its target output length, {@code complete()} with the measured duration
 * and GPU utilization; a step that throws is {@code fail()}ed (its requests are recomputed later).
 *
 * <p>The scheduler must have the executor's KV geometry; the engine registers the executor's listener so KV
 * blocks are freed on preemption and finish. Runs on the calling thread, which becomes the engine thread.
 */
public final class GpuHostEngine {
    private static final int MAX_CONSECUTIVE_FAILURES = 3;

    private final Scheduler scheduler;
    private final GpuExecutor executor;
    private final int outputCapFactor;

    /**
     * @param outputCapFactor each request is submitted with {@code maxOutputTokens = factor x target} (at least
     *                        the target), so the stop token, not the cap, ends it; 1 makes the two coincide
     */
    public GpuHostEngine(Scheduler scheduler, GpuExecutor executor, int outputCapFactor) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.executor = Objects.requireNonNull(executor, "executor");
        if (outputCapFactor < 1) {
            throw new IllegalArgumentException("outputCapFactor must be >= 1, got " + outputCapFactor);
        }
        this.outputCapFactor = outputCapFactor;
        scheduler.addListener(executor.listener());
    }

    /** An engine that submits with {@code maxOutputTokens = 2 x target}. */
    public GpuHostEngine(Scheduler scheduler, GpuExecutor executor) {
        this(scheduler, executor, 2);
    }

    /**
     * The outcome of one request; {@code arrivalSeconds} is its arrival in the workload (seconds after the run's
     * start, when it was due for submission), TTFT and latency are the scheduler's, from submission (NaN unless the
     * request finished); {@code firstTokenSeconds} and {@code finishSeconds} are seconds after the run's start on the
     * scheduler's clock, NaN when the request got no first token or did not finish.
     */
    public record Outcome(long requestId, String tenant, RequestStatus status, FinishReason finishReason, int promptTokens,
            int outputTokens, int preemptions, double arrivalSeconds, double ttftSeconds, double latencySeconds,
            double firstTokenSeconds, double finishSeconds, int[] tokenIds) {
    }

    /**
     * What a run did. Times are wall-clock seconds; {@code busySeconds} sums the step durations and
     * {@code deviceSeconds} the CUDA-event device times (0 on the CPU reference).
     */
    public record Report(String backend, int submitted, int rejected, int finished, long steps, long failedSteps,
            long promptTokens, long outputTokens, double wallSeconds, double busySeconds, double deviceSeconds,
            double meanGpuUtilization, Map<String, Long> outputTokensByTenant, List<Outcome> outcomes) {

        /** Output tokens per wall-clock second. */
        public double outputTokensPerSecond() {
            return wallSeconds > 0 ? outputTokens / wallSeconds : 0;
        }
    }

    /**
     * Thrown by {@link #run} after {@value #MAX_CONSECUTIVE_FAILURES} consecutive failed steps; {@link #report()} is
     * what the run did until then (as at a deadline: unfinished requests were cancelled and their KV memory
     * released).
     */
    public static final class AbortedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final transient Report report;

        AbortedException(String message, Throwable cause, Report report) {
            super(message, cause);
            this.report = report;
        }

        /** The partial report of the aborted run. */
        public Report report() {
            return report;
        }
    }

    /** {@code seconds} in nanoseconds, saturated at {@link Long#MAX_VALUE} (infinity: no limit). */
    static long limitNanos(double seconds) {
        if (Double.isNaN(seconds) || seconds <= 0) {
            throw new IllegalArgumentException("maxWallSeconds must be > 0, got " + seconds);
        }
        double nanos = seconds * 1e9;
        return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) nanos;
    }

    /**
     * Runs until every request is terminal, or {@code maxWallSeconds} passed (the report then shows what
     * finished; {@link Double#POSITIVE_INFINITY} means no limit). On return, and when aborting, every request that
     * is not terminal is cancelled and the executor releases its sequence and KV blocks; the outcomes show the
     * requests' state when the run stopped.
     *
     * @throws IllegalArgumentException when {@code maxWallSeconds} is NaN or not positive
     * @throws AbortedException         after {@value #MAX_CONSECUTIVE_FAILURES} consecutive failed steps, carrying
     *                                  the partial report
     */
    public Report run(List<BenchRequest> requests, double maxWallSeconds) {
        long limit = limitNanos(maxWallSeconds);
        List<BenchRequest> order = new ArrayList<>(requests);
        order.sort(Comparator.comparingDouble(BenchRequest::arrivalSeconds));
        Map<Long, Integer> target = new HashMap<>();
        Map<Long, Double> arrival = new HashMap<>();
        List<RequestHandle> handles = new ArrayList<>();
        Map<Long, int[]> tokens = new HashMap<>();
        int rejected = 0;
        long steps = 0;
        long failed = 0;
        int consecutiveFailures = 0;
        double busy = 0;
        double device = 0;
        double utilSum = 0;
        int utilCount = 0;
        long start = System.nanoTime();
        long clock0 = scheduler.ticker().read(); // the handles' timestamps are on the scheduler's clock
        int next = 0;
        while (true) {
            long now = System.nanoTime();
            while (next < order.size() && order.get(next).arrivalSeconds() * 1e9 <= now - start) {
                BenchRequest br = order.get(next++);
                int cap = (int) Math.min(Integer.MAX_VALUE, (long) br.outputTokens() * outputCapFactor);
                Submission sub = scheduler.submit(RequestSpec.of(br.tenant(), br.promptTokens(), cap));
                if (sub.accepted()) {
                    RequestHandle h = sub.orElseThrow();
                    handles.add(h);
                    target.put(h.id(), br.outputTokens());
                    arrival.put(h.id(), br.arrivalSeconds());
                } else {
                    rejected++;
                }
            }
            if (now - start > limit) {
                break;
            }
            Batch batch = scheduler.nextBatch();
            if (batch.isEmpty()) {
                if (next == order.size() && allTerminal(handles)) {
                    break;
                }
                long wait = next < order.size()
                        ? (long) (order.get(next).arrivalSeconds() * 1e9) - (System.nanoTime() - start)
                        : 100_000L;
                LockSupport.parkNanos(Math.max(10_000L, Math.min(wait, 1_000_000L)));
                continue;
            }
            StepResult r;
            try {
                r = executor.execute(batch);
            } catch (RuntimeException e) {
                executor.onStepFailed(batch);
                scheduler.fail(batch, e);
                failed++;
                if (++consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
                    double wall = (System.nanoTime() - start) / 1e9;
                    Report partial = report(handles, tokens, arrival, clock0, rejected, steps, failed, wall, busy, device,
                            utilCount > 0 ? utilSum / utilCount : Double.NaN);
                    releaseUnfinished(handles);
                    throw new AbortedException(consecutiveFailures + " consecutive steps failed; last: " + e.getMessage(), e, partial);
                }
                continue;
            }
            consecutiveFailures = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (executor.sampledToken(i) < 0) {
                    continue;
                }
                long id = batch.requestId(i);
                if (executor.generatedTokens(id) >= target.getOrDefault(id, Integer.MAX_VALUE)) {
                    tokens.put(id, executor.generatedTokenIds(id));
                    batch.report(i, 1, FinishReason.STOP);
                }
            }
            steps++;
            busy += r.durationNanos() / 1e9;
            if (r.deviceNanos() > 0) {
                device += r.deviceNanos() / 1e9;
            }
            if (!Double.isNaN(r.gpuUtilization())) {
                utilSum += r.gpuUtilization();
                utilCount++;
            }
            scheduler.complete(batch, r.durationNanos(), r.gpuUtilization());
        }
        double wall = (System.nanoTime() - start) / 1e9;
        Report r = report(handles, tokens, arrival, clock0, rejected, steps, failed, wall, busy, device, utilCount > 0 ? utilSum / utilCount : Double.NaN);
        releaseUnfinished(handles);
        return r;
    }

    /**
     * Cancels every request that is not terminal (the scheduler applies it at its next {@code nextBatch()}, which
     * is called here; a batch it still forms is failed) and releases their sequences and KV blocks in the executor.
     */
    private void releaseUnfinished(List<RequestHandle> handles) {
        boolean any = false;
        for (RequestHandle h : handles) {
            if (!h.status().isTerminal()) {
                h.cancel();
                any = true;
            }
        }
        if (!any) {
            return;
        }
        try {
            Batch b = scheduler.nextBatch();
            if (!b.isEmpty()) {
                executor.onStepFailed(b);
                scheduler.fail(b, new IllegalStateException("run stopped"));
            }
        } catch (RuntimeException e) {
            // the scheduler may be closed or broken: the executor's state is released below all the same
        }
        for (RequestHandle h : handles) {
            executor.release(h.id()); // idempotent: finished requests were released by the listener already
        }
    }

    /** Seconds from {@code clock0} to {@code nanos} on the scheduler's clock; NaN for an unset (negative) time. */
    private static double since(long clock0, long nanos) {
        return nanos < 0 ? Double.NaN : (nanos - clock0) / 1e9;
    }

    private static boolean allTerminal(List<RequestHandle> handles) {
        for (RequestHandle h : handles) {
            if (!h.status().isTerminal()) {
                return false;
            }
        }
        return true;
    }

    private Report report(List<RequestHandle> handles, Map<Long, int[]> tokens, Map<Long, Double> arrival, long clock0, int rejected, long steps, long failed, double wall,
            double busy, double device, double util) {
        List<Outcome> outcomes = new ArrayList<>();
        Map<String, Long> byTenant = new TreeMap<>();
        long prompt = 0;
        long output = 0;
        int finished = 0;
        for (RequestHandle h : handles) {
            RequestStatus st = h.status();
            FinishReason why = FinishReason.NONE;
            double ttft = Double.NaN;
            double lat = Double.NaN;
            if (h.completion().isDone() && !h.completion().isCompletedExceptionally()) {
                RequestResult res = h.completion().join();
                why = res.finishReason();
                ttft = res.ttftSeconds();
                lat = res.e2eSeconds();
            }
            if (st == RequestStatus.FINISHED) {
                finished++;
            }
            prompt += h.spec().promptTokens();
            output += h.generatedTokens();
            byTenant.merge(h.tenant(), (long) h.generatedTokens(), Long::sum);
            outcomes.add(new Outcome(h.id(), h.tenant(), st, why, h.spec().promptTokens(), h.generatedTokens(), h.preemptions(),
                    arrival.get(h.id()), ttft, lat, since(clock0, h.firstTokenAtNanos()), since(clock0, h.finishedAtNanos()),
                    tokens.getOrDefault(h.id(), executor.generatedTokenIds(h.id()))));
        }
        return new Report(executor.backend(), handles.size(), rejected, finished, steps, failed, prompt, output, wall, busy, device,
                util, byTenant, outcomes);
    }
}

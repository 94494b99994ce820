package dev.equinox.bench.sim;

import dev.equinox.SchedulerStats;
import dev.equinox.bench.workload.Workload;

/**
 * What one simulation produced: per request (indexed like the {@link Workload}) its admission, first-token and
 * finish times in virtual seconds (NaN when it never happened), tokens generated and preemptions; per run the
 * steps, the virtual makespan, the wall time, the modelled GPU utilization per virtual second and the scheduler's
 * final stats. Arrays are shared: read-only.
 *
 * @param workload       the replayed workload
 * @param config         the setup
 * @param costModel      the cost model's description
 * @param accepted       whether the scheduler accepted the request
 * @param admitStep      step id of the first admission (-1 if never)
 * @param admittedAt     first admission time
 * @param firstTokenAt   first token time
 * @param finishedAt     finish time
 * @param generated      output tokens produced
 * @param preemptions    times preempted
 * @param steps          engine steps run
 * @param makespan       virtual time at the end
 * @param busySeconds    virtual time with a non-empty step
 * @param utilization    busy-weighted modelled GPU utilization per virtual second (0 when idle)
 * @param wallNanos      wall time of the simulation
 * @param stats          the scheduler's final stats
 */
public record SimResult(Workload workload, SimConfig config, String costModel, boolean[] accepted, long[] admitStep,
        double[] admittedAt, double[] firstTokenAt, double[] finishedAt, int[] generated, int[] preemptions, long steps,
        double makespan, double busySeconds, double[] utilization, long wallNanos, SchedulerStats stats) {

    /** Requests accepted and finished. */
    public int finishedCount() {
        int n = 0;
        for (double f : finishedAt) {
            if (!Double.isNaN(f)) {
                n++;
            }
        }
        return n;
    }

    /** Simulated requests per wall-clock minute. */
    public double requestsPerWallMinute() {
        return workload.size() / (wallNanos / 6e10);
    }
}

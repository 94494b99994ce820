package dev.equinox.bench.sim;

/** Progress callbacks of a simulation (called on the simulating thread every few thousand steps). */
@FunctionalInterface
public interface SimObserver {
    /** No-op. */
    SimObserver NONE = (done, total, virtualSeconds) -> { };

    /**
     * @param done           requests that reached a terminal state
     * @param total          requests in the workload
     * @param virtualSeconds simulated time so far
     */
    void progress(long done, long total, double virtualSeconds);
}

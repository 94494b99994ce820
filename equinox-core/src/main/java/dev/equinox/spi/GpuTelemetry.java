package dev.equinox.spi;

/**
 * Reads GPU utilization (equinox-gpu implements it over NVML). Sampled by the engine after each step and passed
 * to the step completion; the scheduler itself never calls it.
 */
public interface GpuTelemetry extends AutoCloseable {
    /** Whether a GPU is visible. When false, {@link #utilization()} returns NaN. */
    boolean available();

    /** GPU utilization in [0, 1] over the driver's last sample period, or NaN if unavailable. */
    double utilization();

    /** Device memory in use, bytes, or -1 if unavailable. */
    long memoryUsedBytes();

    @Override
    default void close() {
    }
}

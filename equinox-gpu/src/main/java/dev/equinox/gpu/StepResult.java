package dev.equinox.gpu;

/**
 * What one executed step measured: wall time of the whole step on the host (input packing, uploads, launches,
 * synchronization, sampling: what {@link dev.equinox.Scheduler#complete} should be told), device time between
 * CUDA events around the launches (-1 when not measured, as on the CPU reference), NVML utilization sampled after
 * the step (NaN when unknown), tokens processed and tokens sampled.
 */
public record StepResult(long durationNanos, long deviceNanos, double gpuUtilization, int tokens, int sampled) {
}

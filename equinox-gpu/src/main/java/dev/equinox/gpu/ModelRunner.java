package dev.equinox.gpu;

/**
 * Runs the decoder for one packed step: appends the step's keys and values to the paged KV cache it owns,
 * computes the logits of the sample rows and writes their greedy argmax into {@code sampled[0..plan.samples)}.
 * Two implementations: the GPU ({@link GpuModel}) and the pure-Java reference ({@link CpuReference}).
 */
interface ModelRunner extends AutoCloseable {
    void forward(StepPlan plan, int[] sampled);

    /** Device time of the last {@link #forward} in nanoseconds (CUDA events), or -1 when not measured. */
    long lastDeviceNanos();

    /** "gpu NVIDIA H100 80GB HBM3 sm_90" or "cpu-reference". */
    String describe();

    @Override
    void close();
}

/**
 * Equinox on a GPU: a Llama-architecture decoder written as CUDA kernels (PTX for sm_80 and sm_90, loaded through
 * the CUDA driver API with JCuda), a paged KV cache with the scheduler's geometry, and the engine loop that drives
 * an Equinox {@link dev.equinox.Scheduler} with real step times and NVML utilization.
 *
 * <h2>Entry points</h2>
 * <ul>
 * <li>{@link dev.equinox.gpu.GpuProbe}: can this machine run the GPU path, and if not, why (never throws);</li>
 * <li>{@link dev.equinox.gpu.NvmlTelemetry}: the {@link dev.equinox.spi.GpuTelemetry} SPI over NVML (JNA);</li>
 * <li>{@link dev.equinox.gpu.GpuExecutor}: runs one scheduler {@link dev.equinox.Batch} (chunked prefill and
 * decode in one forward pass, greedy sampling) and measures it; {@link dev.equinox.gpu.GpuExecutor#cpuReference}
 * runs the same model in pure Java for small shapes;</li>
 * <li>{@link dev.equinox.gpu.GpuHostEngine}: the host loop (submit, nextBatch, execute, complete);</li>
 * <li>{@link dev.equinox.gpu.Calibrator}: a step-time profile over (prefill tokens, decode batch, context) as CSV;</li>
 * <li>{@link dev.equinox.gpu.ServeBenchCommand}, {@link dev.equinox.gpu.CalibrateCommand}: picocli subcommands
 * for the {@code equinox} CLI.</li>
 * </ul>
 *
 * <h2>Design</h2>
 * Storage is fp16, arithmetic fp32 (tensor-core GEMMs accumulate in fp32; the residual stream is fp32). A step is
 * packed into flat arrays ({@code StepPlan}: token ids, positions, KV slots, per-sequence block tables and context
 * lengths, decode entries first); the kernels read the KV cache through the block tables, so a request's KV lives in
 * scattered fixed-size blocks exactly as the scheduler accounts for it. Everything on the host side (paging,
 * packing, launch grids, kernel signatures against the committed PTX, the reference decoder, the host loop with
 * preemption) is unit-tested on the CPU.
 *
 * <h2>Status</h2>
 * The GPU path compiles, and its PTX assembles (ptxas) for sm_80 and sm_90, but it has <b>not been run on a GPU</b>:
 * none was available when it was written. The GPU tests skip with the probe's reason until one is; no speed
 * figure has been measured. See {@code docs/gpu.md}.
 */
package dev.equinox.gpu;

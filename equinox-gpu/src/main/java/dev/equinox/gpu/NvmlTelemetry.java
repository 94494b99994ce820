package dev.equinox.gpu;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.equinox.spi.GpuTelemetry;

/**
 * {@link GpuTelemetry} over NVML: GPU utilization (the percentage of the driver's last sample period, 1/6 s to
 * 1 s depending on the GPU, during which a kernel was running) and device memory in use.
 *
 * <p>{@link #open(int)} never throws: without an NVIDIA driver the instance is unavailable, {@link #reason()}
 * says why, {@link #utilization()} returns NaN and {@link #memoryUsedBytes()} -1. A call that fails after a
 * successful open (GPU fallen off the bus, driver reset) also answers NaN / -1 and records the error.
 *
 * <p>Threading: NVML is thread-safe; this class keeps one reusable structure per query, so one thread at a time
 * (the engine thread, after each step).
 */
public final class NvmlTelemetry implements GpuTelemetry {
    private final Nvml.NvmlLibrary lib;
    private final Pointer device;
    private final Nvml.Utilization util = new Nvml.Utilization();
    private final Nvml.Memory mem = new Nvml.Memory();
    private volatile String reason;
    private boolean closed;

    private NvmlTelemetry(Nvml.NvmlLibrary lib, Pointer device, String reason) {
        this.lib = lib;
        this.device = device;
        this.reason = reason;
    }

    /** Opens NVML for device {@code index}; an unavailable instance (see {@link #reason()}) if that fails. */
    public static NvmlTelemetry open(int index) {
        Nvml.NvmlLibrary lib;
        try {
            lib = Nvml.load();
        } catch (LinkageError e) {
            return new NvmlTelemetry(null, null, "no NVML (neither nvidia-ml nor libnvidia-ml.so.1 could be loaded): " + GpuProbe.describe(e));
        }
        return open(lib, index);
    }

    /** Opens over a given binding (tests pass a fake). */
    static NvmlTelemetry open(Nvml.NvmlLibrary lib, int index) {
        try {
            int rc = lib.nvmlInit_v2();
            if (rc != Nvml.NVML_SUCCESS) {
                return new NvmlTelemetry(null, null, "nvmlInit_v2 failed: " + Nvml.error(lib, rc));
            }
            PointerByReference ref = new PointerByReference();
            rc = lib.nvmlDeviceGetHandleByIndex_v2(index, ref);
            if (rc != Nvml.NVML_SUCCESS) {
                lib.nvmlShutdown();
                return new NvmlTelemetry(null, null, "no NVML device " + index + ": " + Nvml.error(lib, rc));
            }
            return new NvmlTelemetry(lib, ref.getValue(), "ok");
        } catch (RuntimeException | LinkageError e) {
            return new NvmlTelemetry(null, null, "NVML failed: " + GpuProbe.describe(e));
        }
    }

    /** An instance that is never available (no GPU, or telemetry switched off). */
    public static NvmlTelemetry unavailable(String why) {
        return new NvmlTelemetry(null, null, why);
    }

    @Override
    public boolean available() {
        return lib != null && !closed;
    }

    /** "ok", or why telemetry is unavailable or its last query failed. */
    public String reason() {
        return reason;
    }

    @Override
    public double utilization() {
        if (!available()) {
            return Double.NaN;
        }
        try {
            int rc = lib.nvmlDeviceGetUtilizationRates(device, util);
            if (rc != Nvml.NVML_SUCCESS) {
                reason = "nvmlDeviceGetUtilizationRates: " + Nvml.error(lib, rc);
                return Double.NaN;
            }
            return Math.max(0, Math.min(100, util.gpu)) / 100.0;
        } catch (RuntimeException | LinkageError e) {
            reason = "nvmlDeviceGetUtilizationRates: " + GpuProbe.describe(e);
            return Double.NaN;
        }
    }

    @Override
    public long memoryUsedBytes() {
        if (!available()) {
            return -1;
        }
        try {
            int rc = lib.nvmlDeviceGetMemoryInfo(device, mem);
            if (rc != Nvml.NVML_SUCCESS) {
                reason = "nvmlDeviceGetMemoryInfo: " + Nvml.error(lib, rc);
                return -1;
            }
            return mem.used;
        } catch (RuntimeException | LinkageError e) {
            reason = "nvmlDeviceGetMemoryInfo: " + GpuProbe.describe(e);
            return -1;
        }
    }

    /** Shuts NVML down (once); later queries answer NaN / -1. */
    @Override
    public void close() {
        if (lib != null && !closed) {
            closed = true;
            try {
                lib.nvmlShutdown();
            } catch (RuntimeException | LinkageError ignored) {
                // nothing useful to do at shutdown
            }
        }
    }

    @Override
    public String toString() {
        return "NvmlTelemetry[" + (available() ? "available" : reason) + "]";
    }
}

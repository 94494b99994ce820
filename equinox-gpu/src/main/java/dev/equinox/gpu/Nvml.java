package dev.equinox.gpu;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;

/**
 * The four NVML entry points Equinox needs, bound with JNA (no NVML artifact exists on Maven Central). Loaded from
 * {@code nvidia-ml} (the unversioned name a CUDA toolkit installs) and then {@code libnvidia-ml.so.1} (what the
 * driver alone installs).
 */
final class Nvml {
    static final int NVML_SUCCESS = 0;

    private Nvml() {
    }

    /** The C functions, return codes as in {@code nvml.h} (0 = NVML_SUCCESS). */
    public interface NvmlLibrary extends com.sun.jna.Library {
        int nvmlInit_v2();

        int nvmlShutdown();

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        int nvmlDeviceGetUtilizationRates(Pointer device, Utilization utilization);

        int nvmlDeviceGetMemoryInfo(Pointer device, Memory memory);

        String nvmlErrorString(int result);
    }

    /** {@code nvmlUtilization_t}: percent of time over the last sample period a kernel ran / memory was read or written. */
    @Structure.FieldOrder({"gpu", "memory"})
    public static class Utilization extends Structure {
        public int gpu;
        public int memory;
    }

    /** {@code nvmlMemory_t} (v1): total, free and used device memory in bytes. */
    @Structure.FieldOrder({"total", "free", "used"})
    public static class Memory extends Structure {
        public long total;
        public long free;
        public long used;
    }

    /**
     * Loads the library.
     *
     * @throws UnsatisfiedLinkError when neither name can be loaded (no NVIDIA driver)
     */
    static NvmlLibrary load() {
        UnsatisfiedLinkError first;
        try {
            return Native.load("nvidia-ml", NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
            first = e;
        }
        try {
            return Native.load("libnvidia-ml.so.1", NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
            e.addSuppressed(first);
            throw e;
        }
    }

    static String error(NvmlLibrary lib, int code) {
        try {
            return "NVML error " + code + " (" + lib.nvmlErrorString(code) + ")";
        } catch (RuntimeException | LinkageError e) {
            return "NVML error " + code;
        }
    }
}

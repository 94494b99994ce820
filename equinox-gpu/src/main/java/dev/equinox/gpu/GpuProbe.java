package dev.equinox.gpu;

import jcuda.CudaException;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Finds out, without failing, whether this machine can run the GPU path: a CUDA driver with at least one device
 * of compute capability 8.0 or newer (the PTX targets sm_80 and sm_90), and NVML. The answer is computed once
 * and cached. Every failure at the native boundary ({@link LinkageError} such as {@link UnsatisfiedLinkError}
 * when {@code libcuda.so.1} is missing, JCuda's {@link CudaException}, a CUDA error code) is turned into a
 * readable reason.
 *
 * <pre>{@code
 * GpuProbe.Result gpu = GpuProbe.probe();
 * if (!gpu.cudaAvailable()) System.out.println("GPU path off: " + gpu.cudaReason());
 * }</pre>
 *
 * Tests use it with JUnit assumptions, so GPU tests are reported as skipped with the reason.
 */
public final class GpuProbe {
    private static volatile Result cached;

    private GpuProbe() {
    }

    /**
     * What the probe found. {@code cudaReason} and {@code nvmlReason} are "ok" when available, else why not.
     * Device fields describe device 0 (empty / -1 when unavailable).
     */
    public record Result(boolean cudaAvailable, String cudaReason, boolean nvmlAvailable, String nvmlReason,
            int deviceCount, String deviceName, int computeCapabilityMajor, int computeCapabilityMinor,
            int multiprocessors, long totalMemoryBytes, int driverVersion) {

        /** "sm_90" for compute capability 9.0; empty when no device. */
        public String smName() {
            return computeCapabilityMajor < 0 ? "" : "sm_" + computeCapabilityMajor + computeCapabilityMinor;
        }

        /** One line for logs and CLI output. */
        public String describe() {
            if (!cudaAvailable) {
                return "GPU unavailable: " + cudaReason + "; NVML: " + nvmlReason;
            }
            return deviceName + " (" + smName() + ", " + multiprocessors + " SMs, " + (totalMemoryBytes >> 20)
                    + " MiB, driver " + driverVersion + "); NVML: " + nvmlReason;
        }
    }

    /** The cached probe result (probing on first call). Never throws. */
    public static Result probe() {
        Result r = cached;
        if (r == null) {
            synchronized (GpuProbe.class) {
                r = cached;
                if (r == null) {
                    r = run();
                    cached = r;
                }
            }
        }
        return r;
    }

    /**
     * Throws {@link GpuUnavailableException} with the probe's reason unless the GPU path can run.
     */
    public static Result require() {
        Result r = probe();
        if (!r.cudaAvailable()) {
            throw new GpuUnavailableException(r.cudaReason());
        }
        return r;
    }

    private static Result run() {
        String nvmlReason;
        boolean nvml;
        try (NvmlTelemetry t = NvmlTelemetry.open(0)) {
            nvml = t.available();
            nvmlReason = nvml ? "ok" : t.reason();
        } catch (RuntimeException | LinkageError e) {
            nvml = false;
            nvmlReason = "no NVML: " + describe(e);
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            if (count[0] == 0) {
                return unavailable("CUDA driver " + version[0] + " present but no device visible", nvml, nvmlReason);
            }
            CUdevice dev = new CUdevice();
            JCudaDriver.cuDeviceGet(dev, 0);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, dev);
            int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            int sms = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            long[] mem = new long[1];
            JCudaDriver.cuDeviceTotalMem(mem, dev);
            String devName = cString(name);
            if (major < 8) {
                return new Result(false, devName + " has compute capability " + major + "." + minor
                        + "; the kernels need sm_80 or newer (tensor-core WMMA on fp16/bf16, cp.async)", nvml, nvmlReason,
                        count[0], devName, major, minor, sms, mem[0], version[0]);
            }
            return new Result(true, "ok", nvml, nvmlReason, count[0], devName, major, minor, sms, mem[0], version[0]);
        } catch (LinkageError e) {
            return unavailable("no CUDA driver (JCuda could not load its driver binding or libcuda.so.1): " + describe(e), nvml, nvmlReason);
        } catch (CudaException e) {
            return unavailable("CUDA driver error: " + describe(e), nvml, nvmlReason);
        } catch (RuntimeException e) {
            return unavailable("CUDA probe failed: " + describe(e), nvml, nvmlReason);
        }
    }

    private static Result unavailable(String reason, boolean nvml, String nvmlReason) {
        return new Result(false, reason, nvml, nvmlReason, 0, "", -1, -1, 0, -1, -1);
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, attribute, dev);
        return v[0];
    }

    static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        String first = m == null ? "" : m.lines().findFirst().orElse("");
        if (first.length() > 200) {
            first = first.substring(0, 200) + "...";
        }
        String base = first.isEmpty() ? e.getClass().getSimpleName() : first + " (" + e.getClass().getSimpleName() + ")";
        String detail = nativeDetail(m);
        return detail == null ? base : base + ": " + detail;
    }

    /**
     * The line of a native loader's multi-line message that says what went wrong ("libcuda.so.1: cannot open
     * shared object file", "undefined symbol: cuCtxCreate_v2"), without the path of the extracted library.
     */
    static String nativeDetail(String message) {
        if (message == null) {
            return null;
        }
        for (String line : (Iterable<String>) message.lines()::iterator) {
            if (line.contains("cannot open shared object") || line.contains("undefined symbol") || line.contains("wrong ELF")
                    || line.contains("version `")) {
                int so = line.lastIndexOf(".so: ");
                String d = so >= 0 ? line.substring(so + 5) : line.trim();
                return d.length() > 200 ? d.substring(0, 200) + "..." : d;
            }
        }
        return null;
    }
}

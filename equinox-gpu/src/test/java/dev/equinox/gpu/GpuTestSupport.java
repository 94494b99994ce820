package dev.equinox.gpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** Shared plumbing of the GPU tests: skip with the probe's reason, a context on device 0, buffer helpers. */
final class GpuTestSupport implements AutoCloseable {
    final CUcontext context = new CUcontext();
    final GpuProbe.Result probe;
    final GpuKernels kernels;

    private GpuTestSupport() {
        probe = GpuProbe.probe();
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        CUdevice dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, 0);
        JCudaDriver.cuCtxCreate(context, 0, dev);
        kernels = new GpuKernels(GpuKernels.archFor(probe.computeCapabilityMajor(), probe.computeCapabilityMinor()));
    }

    /** Skips the calling test (JUnit assumption) unless a usable GPU is present. */
    static void assumeGpu() {
        GpuProbe.Result r = GpuProbe.probe();
        assumeTrue(r.cudaAvailable(), () -> "GPU test skipped: " + r.cudaReason());
    }

    /** A context with the kernels loaded; skips without a GPU. */
    static GpuTestSupport open() {
        assumeGpu();
        return new GpuTestSupport();
    }

    static CUdeviceptr halves(float[] v) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h[i] = Fp16.fromFloat(v[i]);
        }
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, 2L * Math.max(1, v.length));
        JCudaDriver.cuMemcpyHtoD(p, Pointer.to(h), 2L * v.length);
        return p;
    }

    static CUdeviceptr bf16s(float[] v) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h[i] = Fp16.bf16FromFloat(v[i]);
        }
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, 2L * Math.max(1, v.length));
        JCudaDriver.cuMemcpyHtoD(p, Pointer.to(h), 2L * v.length);
        return p;
    }

    static CUdeviceptr floats(float[] v) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, 4L * Math.max(1, v.length));
        JCudaDriver.cuMemcpyHtoD(p, Pointer.to(v), 4L * v.length);
        return p;
    }

    static CUdeviceptr ints(int[] v) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, 4L * Math.max(1, v.length));
        JCudaDriver.cuMemcpyHtoD(p, Pointer.to(v), 4L * v.length);
        return p;
    }

    static float[] readFloats(CUdeviceptr p, int n) {
        float[] v = new float[n];
        JCudaDriver.cuCtxSynchronize();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(v), p, 4L * n);
        return v;
    }

    static float[] readHalves(CUdeviceptr p, int n) {
        short[] h = new short[n];
        JCudaDriver.cuCtxSynchronize();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(h), p, 2L * n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Fp16.toFloat(h[i]);
        }
        return v;
    }

    static int[] readInts(CUdeviceptr p, int n) {
        int[] v = new int[n];
        JCudaDriver.cuCtxSynchronize();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(v), p, 4L * n);
        return v;
    }

    @Override
    public void close() {
        kernels.close();
        JCudaDriver.cuCtxDestroy(context);
    }
}

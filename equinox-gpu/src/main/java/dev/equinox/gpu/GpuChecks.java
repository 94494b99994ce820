package dev.equinox.gpu;

import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/**
 * GPU correctness and speed checks that run without JUnit, so they can run on a GPU host from the jlink bundle
 * ({@code bin/equinox-gpu selftest}, {@code bin/equinox-gpu perf}); the GPU tests call the same code.
 */
final class GpuChecks {
    private GpuChecks() {
    }

    /** Result of comparing the GPU decoder with the CPU reference. */
    record ModelCheck(double maxRelativeLogitError, int rows, int tokenMismatches, long deviceNanos) {
        boolean passed(double tolerance) {
            return maxRelativeLogitError < tolerance && tokenMismatches == 0;
        }
    }

    /**
     * The steps of the model check: two requests, mixed prefill chunks and decodes. The first step's 20 prefill
     * tokens put both requests in one attention block (the per-token path); with {@code pb} longer than 41 tokens,
     * the second step's chunk fills whole blocks of one request whose keys span several 32-key tiles.
     */
    static List<StepEntries> modelCheckSteps(int[] pa, int[] pb) {
        List<StepEntries> steps = new ArrayList<>();
        steps.add(new ScriptedStep().prefill(1, 0, pa.length, true).prefill(2, 0, 9, false));
        steps.add(new ScriptedStep().decode(1, pa.length).prefill(2, 9, pb.length - 9, true));
        steps.add(new ScriptedStep().decode(1, pa.length + 1).decode(2, pb.length));
        steps.add(new ScriptedStep().decode(1, pa.length + 2).decode(2, pb.length + 1));
        return steps;
    }

    /**
     * Runs the same steps on the GPU and on {@link CpuReference} (sharing one block manager, so slots and block
     * tables are identical) and compares the logits of every sampled row. The CPU's greedy token is appended, so
     * a single divergent token does not cascade.
     */
    static ModelCheck modelVsReference(LlamaConfig c, KernelOptions options) {
        int blocks = 64;
        int bs = 4;
        try (GpuModel gpu = new GpuModel(c, blocks, bs, 128, 16, 256, options)) {
            CpuReference cpu = new CpuReference(c, blocks, bs);
            KvBlockManager kv = new KvBlockManager(blocks, bs);
            int[] pa = GpuExecutor.syntheticPrompt(1, 11, c.vocab());
            int[] pb = GpuExecutor.syntheticPrompt(2, 75, c.vocab()); // a 66-token chunk at offset 9: 3 key tiles
            kv.getOrCreate(1, () -> pa);
            kv.getOrCreate(2, () -> pb);
            StepPlan plan = new StepPlan();
            double worst = 0;
            int rows = 0;
            int mismatches = 0;
            long device = 0;
            for (StepEntries step : modelCheckSteps(pa, pb)) {
                plan.pack(step, kv);
                int[] sampled = new int[Math.max(1, plan.samples)];
                gpu.forward(plan, sampled);
                device += gpu.lastDeviceNanos();
                float[][] g = gpu.lastLogits(plan.samples);
                float[][] r = cpu.logits(plan);
                for (int row = 0; row < plan.samples; row++) {
                    for (int v = 0; v < c.vocab(); v++) {
                        worst = Math.max(worst, Math.abs(g[row][v] - r[row][v]) / (1 + Math.abs(r[row][v])));
                    }
                    int cpuTok = CpuReference.argmax(r[row]);
                    if (cpuTok != sampled[row]) {
                        mismatches++;
                    }
                    plan.sequences[plan.sampleEntries[row]].append(cpuTok);
                    rows++;
                }
                plan.clear();
            }
            return new ModelCheck(worst, rows, mismatches, device);
        }
    }

    /** Runs {@code body} with a fresh context on device 0 and the kernels loaded; destroys the context after. */
    static <T> T withKernels(java.util.function.BiFunction<GpuKernels, GpuProbe.Result, T> body) {
        GpuProbe.Result probe = GpuProbe.require();
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        jcuda.driver.CUdevice dev = new jcuda.driver.CUdevice();
        JCudaDriver.cuDeviceGet(dev, 0);
        jcuda.driver.CUcontext ctx = new jcuda.driver.CUcontext();
        JCudaDriver.cuCtxCreate(ctx, 0, dev);
        try (GpuKernels kernels = new GpuKernels(GpuKernels.archFor(probe.computeCapabilityMajor(), probe.computeCapabilityMinor()))) {
            return body.apply(kernels, probe);
        } finally {
            JCudaDriver.cuCtxDestroy(ctx);
        }
    }

    /** Dense fp16 GEMM throughput in FLOP/s for {@code C[m, n] = A[m, k] W[n, k]^T} (CUDA events). */
    static double gemmFlops(GpuKernels kernels, int smCount, int m, int n, int k, int reps) {
        return 2.0 * m * n * k / gemmSeconds(kernels, smCount, m, new DecodeGemm("gemm", n, k, 1, false), reps);
    }

    /**
     * One GEMM of a decode step: {@code rows x n x k} against an {@code n x k} weight, {@code perStep} times per step
     * (once per layer, or once for the LM head), adding into fp32 (the residual GEMMs, split over K like the model's)
     * or storing.
     */
    record DecodeGemm(String name, int n, int k, int perStep, boolean accumulate) {
        long weightBytes() {
            return 2L * n * k * perStep;
        }
    }

    /** The GEMMs of one decode step of {@code c}, as {@link GpuModel#forward} launches them. */
    static List<DecodeGemm> decodeGemms(LlamaConfig c) {
        int hid = c.hidden();
        return List.of(new DecodeGemm("qkv", c.qkvDim(), hid, c.layers(), false),
                new DecodeGemm("o", hid, c.heads() * c.headDim(), c.layers(), true),
                new DecodeGemm("gate/up", 2 * c.intermediate(), hid, c.layers(), false),
                new DecodeGemm("down", hid, c.intermediate(), c.layers(), true),
                new DecodeGemm("lm head", c.vocab(), hid, 1, false));
    }

    /**
     * Seconds per call of the GEMM {@code g} at {@code rows} rows, launched as the model launches it (CUDA events
     * over {@code reps} calls after 3 warm-up calls; the weight is filled with a repeating non-zero pattern).
     */
    static double gemmSeconds(GpuKernels kernels, int smCount, int rows, DecodeGemm g, int reps) {
        int m = rows;
        int n = g.n();
        int k = g.k();
        CUdeviceptr a = new CUdeviceptr();
        CUdeviceptr w = new CUdeviceptr();
        CUdeviceptr out = new CUdeviceptr();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        JCudaDriver.cuMemAlloc(a, 2L * m * k);
        JCudaDriver.cuMemAlloc(w, 2L * n * k);
        JCudaDriver.cuMemAlloc(out, 4L * m * n);
        try {
            JCudaDriver.cuMemsetD8(a, (byte) 0x11, 2L * m * k);
            JCudaDriver.cuMemsetD8(w, (byte) 0x13, 2L * n * k);
            JCudaDriver.cuMemsetD8(out, (byte) 0, 4L * m * n);
            JCudaDriver.cuEventCreate(start, 0);
            JCudaDriver.cuEventCreate(stop, 0);
            LaunchGrid.Launch l = LaunchGrid.gemm(m, n, k, smCount, false, g.accumulate());
            int mode = g.accumulate() ? GpuKernels.ADD_FLOAT : GpuKernels.STORE_HALF;
            CUdeviceptr half = g.accumulate() ? null : out;
            CUdeviceptr fp32 = g.accumulate() ? out : null;
            for (int i = 0; i < 3; i++) {
                kernels.launch(l, a, w, half, fp32, m, n, k, mode);
            }
            JCudaDriver.cuEventRecord(start, null);
            for (int i = 0; i < reps; i++) {
                kernels.launch(l, a, w, half, fp32, m, n, k, mode);
            }
            JCudaDriver.cuEventRecord(stop, null);
            JCudaDriver.cuEventSynchronize(stop);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, stop);
            return ms[0] / 1e3 / reps;
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
            JCudaDriver.cuMemFree(a);
            JCudaDriver.cuMemFree(w);
            JCudaDriver.cuMemFree(out);
        }
    }

    /** Bytes a decode step must read: all weights once plus every sequence's KV. */
    static double decodeBytes(LlamaConfig c, int seqs, long contextPerSeq) {
        return c.weightBytes() + (double) seqs * contextPerSeq * c.kvBytesPerToken();
    }

    /** Peak HBM bandwidth (bytes/s) and dense fp16 tensor-core FLOP/s by device name; NaN when unknown. */
    static double[] datasheetPeaks(String deviceName) {
        if (deviceName.contains("A100")) {
            return new double[] {2039e9, 312e12};
        }
        if (deviceName.contains("H100") && deviceName.contains("PCIe")) {
            return new double[] {2000e9, 756e12};
        }
        if (deviceName.contains("H100")) {
            return new double[] {3350e9, 989e12};
        }
        if (deviceName.contains("H200")) {
            return new double[] {4800e9, 989e12};
        }
        return new double[] {Double.NaN, Double.NaN};
    }
}

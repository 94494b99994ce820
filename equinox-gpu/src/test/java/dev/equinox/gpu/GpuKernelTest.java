package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kernel-by-kernel checks against the CPU reference math. GPU only: skipped (with the probe's reason) on
 * machines without a CUDA driver. Run on one NVIDIA H100 80GB HBM3 on 2026-11-27: 4/4 passed, in both runs of
 * that day (docs/gpu.md, "Measured on an H100", "Correctness" and "Second run").
 */
@Tag("gpu")
class GpuKernelTest {
    private final Random rnd = new Random(5);

    private float[] randoms(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Fp16.round((float) (rnd.nextGaussian() * scale));
        }
        return v;
    }

    private static float[] cpuGemm(float[] a, float[] w, int m, int n, int k) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    s += (double) a[i * k + q] * w[j * k + q];
                }
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    @Test
    void gemm_raggedShapesBothTilesAllModes_matchCpu() {
        try (GpuTestSupport g = GpuTestSupport.open()) {
            int m = 70;
            int n = 130;
            int k = 72; // not a multiple of the 32-wide K tile
            float[] a = randoms(m * k, 1f);
            float[] w = randoms(n * k, 0.1f);
            float[] ref = cpuGemm(a, w, m, n, k);
            CUdeviceptr da = GpuTestSupport.halves(a);
            CUdeviceptr dw = GpuTestSupport.halves(w);
            for (String tile : new String[] {"128x128", "64x64"}) {
                int bm = tile.equals("128x128") ? 128 : 64;
                LaunchGrid.Launch l = new LaunchGrid.Launch("gemm_f16_" + tile, LaunchGrid.ceilDiv(n, bm), LaunchGrid.ceilDiv(m, bm),
                        bm == 128 ? 256 : 128);
                CUdeviceptr cf = GpuTestSupport.floats(new float[m * n]);
                g.kernels.launch(l, da, dw, null, cf, m, n, k, GpuKernels.STORE_FLOAT);
                assertArrayEquals(ref, GpuTestSupport.readFloats(cf, m * n), 1e-3f, tile + " store fp32");
                g.kernels.launch(l, da, dw, null, cf, m, n, k, GpuKernels.ADD_FLOAT);
                float[] twice = ref.clone();
                for (int i = 0; i < twice.length; i++) {
                    twice[i] *= 2;
                }
                assertArrayEquals(twice, GpuTestSupport.readFloats(cf, m * n), 2e-3f, tile + " add into fp32");
                CUdeviceptr ch = GpuTestSupport.halves(new float[m * n]);
                g.kernels.launch(l, da, dw, ch, null, m, n, k, GpuKernels.STORE_HALF);
                float[] got = GpuTestSupport.readHalves(ch, m * n);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(ref[i], got[i], 2e-3 + Math.abs(ref[i]) * 1e-3, tile + " fp16 element " + i);
                }
            }
        }
    }

    @Test
    void gemm_splitKResidualAdd_equalsOneBlockPerTile() {
        try (GpuTestSupport g = GpuTestSupport.open()) {
            int m = 5;
            int n = 96;
            int k = 1024; // 32 K tiles: split 8 ways at most
            float[] a = randoms(m * k, 1f);
            float[] w = randoms(n * k, 0.05f);
            float[] residual = randoms(m * n, 1f);
            float[] ref = cpuGemm(a, w, m, n, k);
            for (int i = 0; i < ref.length; i++) {
                ref[i] += residual[i];
            }
            LaunchGrid.Launch l = LaunchGrid.gemm(m, n, k, g.probe.multiprocessors(), false, true);
            assertTrue(l.gridZ > 1, l.toString());
            CUdeviceptr cf = GpuTestSupport.floats(residual);
            g.kernels.launch(l, GpuTestSupport.halves(a), GpuTestSupport.halves(w), null, cf, m, n, k, GpuKernels.ADD_FLOAT);
            assertArrayEquals(ref, GpuTestSupport.readFloats(cf, m * n), 2e-3f);
        }
    }

    @Test
    void gemm_bf16_matchesCpuWithinBf16Precision() {
        try (GpuTestSupport g = GpuTestSupport.open()) {
            int m = 33;
            int n = 64;
            int k = 64;
            float[] a = randoms(m * k, 1f);
            float[] w = randoms(n * k, 0.1f);
            for (int i = 0; i < a.length; i++) {
                a[i] = Fp16.bf16ToFloat(Fp16.bf16FromFloat(a[i]));
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = Fp16.bf16ToFloat(Fp16.bf16FromFloat(w[i]));
            }
            float[] ref = cpuGemm(a, w, m, n, k);
            CUdeviceptr cf = GpuTestSupport.floats(new float[m * n]);
            g.kernels.launch(LaunchGrid.gemm(m, n, k, g.probe.multiprocessors(), true), GpuTestSupport.bf16s(a), GpuTestSupport.bf16s(w),
                    null, cf, m, n, k, GpuKernels.STORE_FLOAT);
            assertArrayEquals(ref, GpuTestSupport.readFloats(cf, m * n), 1e-3f);
        }
    }

    @Test
    void rmsnormRopeSiluArgmax_matchCpuReference() {
        try (GpuTestSupport g = GpuTestSupport.open()) {
            int h = 96;
            float[] x = randoms(3 * h, 2f);
            float[] w = randoms(h, 0.2f);
            for (int i = 0; i < h; i++) {
                w[i] = Fp16.round(1 + w[i]);
            }
            CUdeviceptr out = GpuTestSupport.halves(new float[2 * h]);
            // rows {2, 0}: the gather used for the final norm of sampled rows
            g.kernels.launch(LaunchGrid.rmsnorm(2), GpuTestSupport.floats(x), GpuTestSupport.halves(w), out,
                    GpuTestSupport.ints(new int[] {2, 0}), 2, h, 1e-5f);
            float[] got = GpuTestSupport.readHalves(out, 2 * h);
            float[] row2 = CpuReference.rmsnorm(java.util.Arrays.copyOfRange(x, 2 * h, 3 * h), w, 1e-5f);
            for (int i = 0; i < h; i++) {
                assertEquals(row2[i], got[i], 2e-3 + Math.abs(row2[i]) * 1e-3);
            }

            LlamaConfig c = LlamaConfig.tiny();
            int t = 3;
            float[] qkv = randoms(t * c.qkvDim(), 1f);
            int[] pos = {0, 7, 1000};
            CUdeviceptr dq = GpuTestSupport.halves(qkv);
            g.kernels.launch(LaunchGrid.rope(t, c), dq, GpuTestSupport.ints(pos), t, c.heads(), c.kvHeads(), c.headDim(), c.ropeTheta());
            float[] gotQ = GpuTestSupport.readHalves(dq, qkv.length);
            float[] refQ = qkv.clone();
            for (int tok = 0; tok < t; tok++) {
                for (int head = 0; head < c.heads() + c.kvHeads(); head++) {
                    CpuReference.rope(refQ, tok * c.qkvDim() + head * c.headDim(), c.headDim(), pos[tok], c.ropeTheta());
                }
            }
            for (int i = 0; i < refQ.length; i++) {
                assertEquals(refQ[i], gotQ[i], 4e-3 + Math.abs(refQ[i]) * 2e-3, "rope element " + i);
            }

            float[] gu = randoms(2 * 40, 2f);
            CUdeviceptr act = GpuTestSupport.halves(new float[40]);
            g.kernels.launch(LaunchGrid.siluMul(1, 40, 1), GpuTestSupport.halves(gu), act, 1, 40);
            assertArrayEquals(CpuReference.siluMul(gu, 40), GpuTestSupport.readHalves(act, 40), 4e-3f);

            float[] logits = {1f, 5f, 2f, 5f, -3f};
            CUdeviceptr best = GpuTestSupport.ints(new int[1]);
            g.kernels.launch(LaunchGrid.argmax(1), GpuTestSupport.floats(logits), best, 1, logits.length);
            assertEquals(1, GpuTestSupport.readInts(best, 1)[0], "ties go to the lowest index");
        }
    }
}

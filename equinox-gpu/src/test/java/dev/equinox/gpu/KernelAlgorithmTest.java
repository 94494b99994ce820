package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Line-by-line Java ports of the index arithmetic and numerics of gemm.cu and attention.cu (thread and warp loops
 * unrolled sequentially), checked against the plain definitions. This cannot catch CUDA-semantics mistakes
 * (synchronization, WMMA layouts), which only the GPU tests can; it does catch tiling, bounds, split-K and
 * softmax-merge arithmetic errors, on the CPU.
 *
 * <p>Keep in sync with the CUDA sources: each port names the kernel it mirrors in a "keep in sync with
 * FILE:KERNEL" line, and each mirrored kernel in equinox-gpu/src/main/cuda/gemm.cu and attention.cu carries a
 * "keep in sync with KernelAlgorithmTest" comment naming its port. A change to the index arithmetic of either
 * side must be made to both.
 */
class KernelAlgorithmTest {
    private static final int BK = 32;

    /**
     * gemm.cu's eqx_gemm for one launch: tiles, zero-filled 16-byte chunks, split-K ranges, epilogue. Keep in sync
     * with gemm.cu:eqx_gemm (the body of gemm_{f16,bf16}_{128x128,64x64}).
     */
    private static void gemmPort(float[] a, float[] w, float[] cf, int m, int n, int k, int bm, int bn, int gridZ, boolean add) {
        int kTilesAll = (k + BK - 1) / BK;
        int perSplit = (kTilesAll + gridZ - 1) / gridZ;
        int gridX = LaunchGrid.ceilDiv(n, bn);
        int gridY = LaunchGrid.ceilDiv(m, bm);
        for (int bz = 0; bz < gridZ; bz++) {
            int ktBegin = bz * perSplit;
            int kTiles = Math.max(0, Math.min(kTilesAll, ktBegin + perSplit) - ktBegin);
            for (int by = 0; by < gridY; by++) {
                for (int bx = 0; bx < gridX; bx++) {
                    int m0 = by * bm;
                    int n0 = bx * bn;
                    float[][] acc = new float[bm][bn];
                    for (int kt = 0; kt < kTiles; kt++) {
                        int k0 = (ktBegin + kt) * BK;
                        float[][] as = new float[bm][BK];
                        float[][] bs = new float[bn][BK];
                        for (int c = 0; c < bm * (BK / 8); c++) { // every thread's chunks, in any order
                            int r = c >> 2;
                            int kc = (c & 3) * 8;
                            boolean ok = m0 + r < m && k0 + kc < k;
                            for (int e = 0; e < 8; e++) {
                                as[r][kc + e] = ok ? a[(m0 + r) * k + k0 + kc + e] : 0f;
                            }
                        }
                        for (int c = 0; c < bn * (BK / 8); c++) {
                            int r = c >> 2;
                            int kc = (c & 3) * 8;
                            boolean ok = n0 + r < n && k0 + kc < k;
                            for (int e = 0; e < 8; e++) {
                                bs[r][kc + e] = ok ? w[(n0 + r) * k + k0 + kc + e] : 0f;
                            }
                        }
                        for (int i = 0; i < bm; i++) {
                            for (int j = 0; j < bn; j++) {
                                float s = 0;
                                for (int q = 0; q < BK; q++) {
                                    s += as[i][q] * bs[j][q]; // matrix_b col-major: B(q, j) = bs[j][q]
                                }
                                acc[i][j] += s;
                            }
                        }
                    }
                    for (int i = 0; i < bm; i++) {
                        for (int j = 0; j < bn; j++) {
                            int gr = m0 + i;
                            int gc = n0 + j;
                            if (gr < m && gc < n) {
                                if (add) {
                                    cf[gr * n + gc] += acc[i][j];
                                } else {
                                    cf[gr * n + gc] = acc[i][j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static float[] randoms(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Test
    void gemmTiling_raggedShapesAndSplitK_equalDefinition() {
        Random rnd = new Random(1);
        int[][] shapes = {{70, 130, 72}, {1, 64, 8}, {5, 96, 1024}, {129, 65, 264}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            float[] a = randoms(rnd, m * k);
            float[] w = randoms(rnd, n * k);
            float[] ref = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int q = 0; q < k; q++) {
                        acc += (double) a[i * k + q] * w[j * k + q];
                    }
                    ref[i * n + j] = (float) acc;
                }
            }
            for (int tile : new int[] {64, 128}) {
                float[] c = new float[m * n];
                gemmPort(a, w, c, m, n, k, tile, tile, 1, false);
                assertArrayEquals(ref, c, 1e-3f * (float) Math.sqrt(k), "store " + m + "x" + n + "x" + k + " tile " + tile);
            }
            for (int splits = 2; splits <= 9; splits += 7) {
                float[] c = new float[m * n];
                gemmPort(a, w, c, m, n, k, 64, 64, splits, true);
                assertArrayEquals(ref, c, 1e-3f * (float) Math.sqrt(k), "split-K " + splits + " at " + m + "x" + n + "x" + k);
            }
        }
    }

    /**
     * attention.cu's att_run for one warp: lane-owned elements, warp sum, online softmax. Keep in sync with
     * attention.cu:att_run (used by paged_attention_decode_f16, paged_attention_prefill_warp_f16 and the straddling
     * path of paged_attention_prefill_f16).
     */
    private static float[] attRun(float[] q, float[] kc, float[] vc, int[] table, int bs, int nkv, int kvh, int hd,
            int j0, int jstep, int ctx) {
        int perLane = hd / 32;
        float m = Float.NEGATIVE_INFINITY;
        float l = 0;
        float[] acc = new float[hd];
        for (int j = j0; j < ctx; j += jstep) {
            int block = table[j / bs];
            int base = (block * bs + j % bs) * nkv * hd + kvh * hd;
            float s = 0;
            for (int lane = 0; lane < 32; lane++) { // eqx_warp_sum of each lane's partial dot
                float dot = 0;
                for (int i = 0; i < perLane; i++) {
                    dot += q[i * 32 + lane] * kc[base + i * 32 + lane];
                }
                s += dot;
            }
            float mNew = Math.max(m, s);
            float corr = (float) Math.exp(m - mNew);
            float p = (float) Math.exp(s - mNew);
            l = l * corr + p;
            for (int d = 0; d < hd; d++) {
                acc[d] = acc[d] * corr + p * vc[base + d];
            }
            m = mNew;
        }
        float[] out = new float[hd + 2];
        System.arraycopy(acc, 0, out, 0, hd);
        out[hd] = m;
        out[hd + 1] = l;
        return out;
    }

    /** paged_attention_decode_f16's 4-warp split and shared-memory merge. Keep in sync with attention.cu:paged_attention_decode_f16. */
    private static float[] decodePort(float[] qScaled, float[] kc, float[] vc, int[] table, int bs, int nkv, int kvh, int hd, int ctx) {
        int warps = LaunchGrid.ATT_WARPS;
        float[][] st = new float[warps][];
        for (int w = 0; w < warps; w++) {
            st[w] = attRun(qScaled, kc, vc, table, bs, nkv, kvh, hd, w, warps, ctx);
        }
        return mergeWarps(st, hd);
    }

    /**
     * The decode kernels' shared-memory merge of the warps' softmax states, each {@code acc[0..hd), m, l} as
     * {@link #attRun} returns them (a warp without keys, l = 0, contributes nothing). Keep in sync with the merge at
     * the end of attention.cu:paged_attention_decode_f16 and attention.cu:paged_attention_decode_tiled_f16.
     */
    private static float[] mergeWarps(float[][] st, int hd) {
        float bigM = Float.NEGATIVE_INFINITY;
        for (float[] s : st) {
            bigM = Math.max(bigM, s[hd]);
        }
        float bigL = 0;
        float[] f = new float[st.length];
        for (int w = 0; w < st.length; w++) {
            f[w] = st[w][hd + 1] > 0 ? (float) Math.exp(st[w][hd] - bigM) : 0f;
            bigL += st[w][hd + 1] * f[w];
        }
        float[] out = new float[hd];
        for (int d = 0; d < hd; d++) {
            float v = 0;
            for (int w = 0; w < st.length; w++) {
                v += st[w][d] * f[w];
            }
            out[d] = v / bigL;
        }
        return out;
    }

    /**
     * paged_attention_decode_tiled_f16: warp w walks 32-key tiles w, w + 4, ...; lane j scores key j0 + j (its whole
     * row), one max and one sum per tile, then every key's value row weighted by its lane's probability; lane `lane`
     * owns the contiguous output elements from lane * hd / 32. The four warps' states merge as in the per-key kernel.
     * Keep in sync with attention.cu:paged_attention_decode_tiled_f16.
     */
    private static float[] decodeTiledPort(float[] qScaled, float[] kc, float[] vc, int[] table, int bs, int nkv, int kvh, int hd,
            int ctx) {
        int warps = LaunchGrid.ATT_WARPS;
        int keysPerTile = 32;
        int perLane = hd / 32;
        float[][] st = new float[warps][hd + 2]; // acc[0..hd), m, l per warp, as attRun
        for (int w = 0; w < warps; w++) {
            float[] acc = st[w];
            float m = Float.NEGATIVE_INFINITY;
            float l = 0;
            for (int j0 = w * keysPerTile; j0 < ctx; j0 += warps * keysPerTile) {
                float[] s = new float[keysPerTile];
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int lane = 0; lane < keysPerTile; lane++) {
                    int j = j0 + lane;
                    s[lane] = Float.NEGATIVE_INFINITY;
                    if (j < ctx) {
                        int base = (table[j / bs] * bs + j % bs) * nkv * hd + kvh * hd;
                        float dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += qScaled[d] * kc[base + d];
                        }
                        s[lane] = dot;
                    }
                    tileMax = Math.max(tileMax, s[lane]);
                }
                float mNew = Math.max(m, tileMax);
                float corr = (float) Math.exp(m - mNew);
                float[] p = new float[keysPerTile];
                float sum = 0;
                for (int lane = 0; lane < keysPerTile; lane++) {
                    p[lane] = j0 + lane < ctx ? (float) Math.exp(s[lane] - mNew) : 0f;
                    sum += p[lane];
                }
                l = l * corr + sum;
                for (int d = 0; d < hd; d++) {
                    acc[d] *= corr;
                }
                for (int k = 0; k < Math.min(keysPerTile, ctx - j0); k++) {
                    int jk = j0 + k;
                    int base = (table[jk / bs] * bs + jk % bs) * nkv * hd + kvh * hd;
                    for (int lane = 0; lane < 32; lane++) {
                        for (int i = 0; i < perLane; i++) {
                            acc[lane * perLane + i] += p[k] * vc[base + lane * perLane + i];
                        }
                    }
                }
                m = mNew;
            }
            acc[hd] = m;
            acc[hd + 1] = l;
        }
        return mergeWarps(st, hd);
    }

    @Test
    void decodeAttentionTiled_everyContextLengthAcrossTilesAndWarps_equalsPagedReference() {
        Random rnd = new Random(3);
        int bs = 16;
        int nkv = 2;
        int hd = 128;
        int[] table = new int[24];
        for (int i = 0; i < table.length; i++) {
            table[i] = (i * 7 + 5) % table.length; // scattered blocks
        }
        float[] kc = randoms(rnd, table.length * bs * nkv * hd);
        float[] vc = randoms(rnd, kc.length);
        float[] q = randoms(rnd, hd);
        float scale = (float) (1 / Math.sqrt(hd));
        float[] qs = new float[hd];
        for (int i = 0; i < hd; i++) {
            qs[i] = q[i] * scale;
        }
        // 1: one key; 31-33: a tile boundary; 128-129: all four warps busy, then warp 0 takes a second tile; 300: several
        for (int ctx : new int[] {1, 2, 31, 32, 33, 95, 127, 128, 129, 160, 300, 384}) {
            float[] ref = CpuReference.pagedAttention(q, 0, kc, vc, table, 0, bs, nkv, 1, hd, ctx, scale);
            assertArrayEquals(ref, decodeTiledPort(qs, kc, vc, table, bs, nkv, 1, hd, ctx), 2e-5f, "context " + ctx);
        }
    }

    @Test
    void decodeAttentionSplitAndMerge_everyContextLength_equalsPagedReference() {
        Random rnd = new Random(2);
        int bs = 4;
        int nkv = 2;
        int hd = 64;
        int[] table = {6, 1, 4, 0, 3};
        float[] kc = randoms(rnd, 8 * bs * nkv * hd);
        float[] vc = randoms(rnd, kc.length);
        float[] q = randoms(rnd, hd);
        float scale = (float) (1 / Math.sqrt(hd));
        float[] qs = new float[hd];
        for (int i = 0; i < hd; i++) {
            qs[i] = q[i] * scale;
        }
        for (int ctx = 1; ctx <= 20; ctx++) { // 1..3 leave some warps without keys
            float[] ref = CpuReference.pagedAttention(q, 0, kc, vc, table, 0, bs, nkv, 1, hd, ctx, scale);
            assertArrayEquals(ref, decodePort(qs, kc, vc, table, bs, nkv, 1, hd, ctx), 2e-5f, "context " + ctx);
            // the prefill kernel's single warp over 0..pos gives the same (keep in sync with
            // attention.cu:paged_attention_prefill_warp_f16: att_run with j0 = 0, jstep = 1, then acc / l)
            float[] one = attRun(qs, kc, vc, table, bs, nkv, 1, hd, 0, 1, ctx);
            float[] prefill = new float[hd];
            for (int d = 0; d < hd; d++) {
                prefill[d] = one[d] / one[hd + 1];
            }
            assertArrayEquals(ref, prefill, 2e-5f, "prefill warp, context " + ctx);
        }
    }

    /**
     * paged_attention_prefill_f16 for one block: PF_TOKENS query tokens starting at {@code t0}; the per-token warp path
     * when they straddle two entries, else the shared K/V tiles of 32 keys with lane-per-key scores and one online
     * softmax update per tile. Returns the attention output rows of the block's tokens (null for tokens past the
     * end). Keep in sync with attention.cu:paged_attention_prefill_f16.
     */
    private static float[][] prefillBlockPort(float[][] q, int[] entry, int[] pos, int[][] tables, int t0, int tEnd, float[] kc,
            float[] vc, int bs, int nkv, int kvh, int hd, float scale) {
        int tokens = LaunchGrid.PREFILL_TOKENS;
        int end = Math.min(t0 + tokens, tEnd);
        float[][] out = new float[tokens][];
        if (entry[end - 1] != entry[t0]) {
            for (int t = t0; t < end; t++) {
                float[] qs = new float[hd];
                for (int i = 0; i < hd; i++) {
                    qs[i] = q[t][i] * scale;
                }
                float[] st = attRun(qs, kc, vc, tables[entry[t]], bs, nkv, kvh, hd, 0, 1, pos[t] + 1);
                out[t - t0] = new float[hd];
                for (int d = 0; d < hd; d++) {
                    out[t - t0][d] = st[hd + 1] > 0 ? st[d] * (1 / st[hd + 1]) : 0f;
                }
            }
            return out;
        }
        int[] table = tables[entry[t0]];
        int ctx = 0;
        int[] p = new int[tokens];
        for (int r = 0; r < tokens; r++) {
            p[r] = t0 + r < end ? pos[t0 + r] : -1;
            ctx = Math.max(ctx, p[r] + 1);
        }
        float[] m = new float[tokens];
        float[] l = new float[tokens];
        float[][] acc = new float[tokens][hd];
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        int keysPerTile = 32;
        for (int kb = 0; kb < ctx; kb += keysPerTile) {
            float[][] ks = new float[keysPerTile][hd];
            float[][] vs = new float[keysPerTile][hd];
            for (int j = 0; j < keysPerTile; j++) {
                int gj = kb + j;
                if (gj < ctx) {
                    int base = ((table[gj / bs] * bs + gj % bs) * nkv + kvh) * hd;
                    System.arraycopy(kc, base, ks[j], 0, hd);
                    System.arraycopy(vc, base, vs[j], 0, hd);
                }
            }
            for (int r = 0; r < tokens; r++) { // each warp's PF_QPW queries; rows past the end keep pos -1
                float[] s = new float[keysPerTile];
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int lane = 0; lane < keysPerTile; lane++) {
                    float dot = 0;
                    float[] qr = t0 + r < end ? q[t0 + r] : new float[hd];
                    for (int d2 = 0; d2 < hd / 2; d2++) {
                        dot = Math.fma(qr[2 * d2], ks[lane][2 * d2], Math.fma(qr[2 * d2 + 1], ks[lane][2 * d2 + 1], dot));
                    }
                    s[lane] = kb + lane <= p[r] ? dot * scale : Float.NEGATIVE_INFINITY;
                    tileMax = Math.max(tileMax, s[lane]);
                }
                float mNew = Math.max(m[r], tileMax);
                float corr = m[r] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m[r] - mNew);
                float sum = 0;
                float[] pj = new float[keysPerTile];
                for (int lane = 0; lane < keysPerTile; lane++) {
                    pj[lane] = kb + lane <= p[r] ? (float) Math.exp(s[lane] - mNew) : 0f;
                    sum += pj[lane];
                }
                l[r] = l[r] * corr + sum;
                for (int d = 0; d < hd; d++) {
                    acc[r][d] *= corr;
                }
                m[r] = mNew;
                for (int j = 0; j < Math.min(keysPerTile, ctx - kb); j++) {
                    for (int d = 0; d < hd; d++) {
                        acc[r][d] = Math.fma(pj[j], vs[j][d], acc[r][d]);
                    }
                }
            }
        }
        for (int r = 0; r < end - t0; r++) {
            out[r] = new float[hd];
            for (int d = 0; d < hd; d++) {
                out[r][d] = l[r] > 0 ? acc[r][d] * (1 / l[r]) : 0f;
            }
        }
        return out;
    }

    @Test
    void prefillAttentionTiles_chunksAtOffsetsAndBlocksAcrossEntries_equalPagedReference() {
        Random rnd = new Random(5);
        int bs = 4;
        int nkv = 2;
        int kvh = 1;
        int hd = 64;
        int nBlocks = 24;
        float[] kc = randoms(rnd, nBlocks * bs * nkv * hd);
        float[] vc = randoms(rnd, kc.length);
        // Entry 0: a 20-token chunk at positions 40..59 (context 2 tiles); entry 1: 12 tokens at 0..11; entry 2: 5
        // tokens at 3..7. Blocks of 16: [0, 16) entry 0 alone (tiles), [16, 32) entries 0 and 1 (per-token warps),
        // [32, 37) entry 2 alone, a partial block.
        int[][] tables = {{23, 4, 17, 0, 9, 12, 2, 20, 7, 15, 1, 11, 19, 5, 22}, {3, 14, 8}, {10, 6}};
        int[] counts = {20, 12, 5};
        int[] offsets = {40, 0, 3};
        int tEnd = 37;
        int[] entry = new int[tEnd];
        int[] pos = new int[tEnd];
        for (int e = 0, t = 0; e < counts.length; e++) {
            for (int i = 0; i < counts[e]; i++, t++) {
                entry[t] = e;
                pos[t] = offsets[e] + i;
            }
        }
        float[][] q = new float[tEnd][];
        for (int t = 0; t < tEnd; t++) {
            q[t] = randoms(rnd, hd);
        }
        float scale = (float) (1 / Math.sqrt(hd));
        LaunchGrid.Launch l = LaunchGrid.attentionPrefill(tEnd, 8, false);
        assertEquals(3, l.gridX);
        int checked = 0;
        for (int bx = 0; bx < l.gridX; bx++) {
            int t0 = bx * LaunchGrid.PREFILL_TOKENS;
            float[][] rows = prefillBlockPort(q, entry, pos, tables, t0, tEnd, kc, vc, bs, nkv, kvh, hd, scale);
            for (int r = 0; r < LaunchGrid.PREFILL_TOKENS && t0 + r < tEnd; r++) {
                int t = t0 + r;
                float[] ref = CpuReference.pagedAttention(q[t], 0, kc, vc, tables[entry[t]], 0, bs, nkv, kvh, hd, pos[t] + 1, scale);
                assertArrayEquals(ref, rows[r], 2e-5f, "token " + t + " (entry " + entry[t] + ", position " + pos[t] + ")");
                checked++;
            }
        }
        assertEquals(tEnd, checked, "every prefill token is covered by exactly one block");
    }
}

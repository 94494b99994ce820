package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuReferenceTest {
    private static final float EPS = 1e-6f;

    @Test
    void rmsnorm_threeFour_scalesToUnitRms() {
        // mean of squares = (9 + 16) / 2 = 12.5, 1 / sqrt(12.5) = 0.2828427
        float[] out = CpuReference.rmsnorm(new float[] {3, 4}, new float[] {1, 2}, 0f);
        assertEquals(Fp16.round(3 * 0.28284271f), out[0], EPS);
        assertEquals(Fp16.round(4 * 0.28284271f * 2), out[1], EPS);
        assertEquals(0.8486, out[0], 1e-3);
        assertEquals(2.2627, out[1], 2e-3);
        assertEquals(out[0], Fp16.round(out[0]), "stored as fp16");
    }

    @Test
    void rope_positionZero_isIdentity() {
        float[] v = {0.5f, -1f, 0.25f, 2f};
        float[] copy = v.clone();
        CpuReference.rope(v, 0, 4, 0, 10_000f);
        assertArrayEquals(copy, v, EPS);
    }

    @Test
    void rope_headDimTwo_rotatesByPositionRadians() {
        float[] v = {1f, 0f};
        CpuReference.rope(v, 0, 2, 1, 10_000f); // inv_freq = theta^0 = 1: angle = 1 rad
        assertEquals(Fp16.round((float) Math.cos(1)), v[0], EPS);
        assertEquals(Fp16.round((float) Math.sin(1)), v[1], EPS);
    }

    @Test
    void rope_pairs_preserveNormAndRelativePosition() {
        // the defining property: <rope(q, m), rope(k, n)> depends only on m - n
        float[] q = {0.3f, -0.7f, 0.2f, 0.9f, -0.1f, 0.4f, 0.6f, -0.5f};
        float[] k = {0.8f, 0.1f, -0.4f, 0.3f, 0.5f, -0.9f, 0.2f, 0.7f};
        double d1 = dot(rotated(q, 7), rotated(k, 3));
        double d2 = dot(rotated(q, 104), rotated(k, 100));
        assertEquals(d1, d2, 5e-3, "fp16 rounding only");
        assertEquals(Math.sqrt(dot(q, q)), Math.sqrt(dot(rotated(q, 57), rotated(q, 57))), 5e-3);
    }

    private static float[] rotated(float[] v, int pos) {
        float[] c = v.clone();
        CpuReference.rope(c, 0, c.length, pos, 10_000f);
        return c;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void siluMul_handValues_matchDefinition() {
        float[] out = CpuReference.siluMul(new float[] {0f, 1f, 5f, 2f}, 2);
        assertEquals(0f, out[0], EPS);
        assertEquals(Fp16.round(0.7310586f * 2f), out[1], EPS); // silu(1) = 1 / (1 + e^-1)
    }

    @Test
    void argmax_ties_goToLowestIndex() {
        assertEquals(1, CpuReference.argmax(new float[] {0f, 3f, 1f, 3f}));
        assertEquals(0, CpuReference.argmax(new float[] {-1f}));
    }

    @Test
    void attention_singleKey_returnsItsValue() {
        float[] k = {1, 0};
        float[] v = {0.25f, -4f};
        float[] out = CpuReference.contiguousAttention(new float[] {3, 3}, new float[][] {k}, new float[][] {v}, 1, 1f);
        assertArrayEquals(v, out, EPS);
    }

    @Test
    void attention_equalScores_averagesValues() {
        float[][] keys = {{1, 0}, {1, 0}};
        float[][] values = {{2, 0}, {0, 4}};
        float[] out = CpuReference.contiguousAttention(new float[] {1, 1}, keys, values, 2, 1f);
        assertArrayEquals(new float[] {1, 2}, out, EPS);
    }

    @Test
    void attention_twoKeysScoresOneApart_weightsByLogistic() {
        // scores 1 and 0: weights e/(e+1) and 1/(e+1)
        float[][] keys = {{1, 0}, {0, 0}};
        float[][] values = {{1, 0}, {0, 1}};
        float[] out = CpuReference.contiguousAttention(new float[] {1, 0}, keys, values, 2, 1f);
        assertEquals(Math.E / (Math.E + 1), out[0], 1e-6);
        assertEquals(1 / (Math.E + 1), out[1], 1e-6);
    }

    @Test
    void pagedAttention_scrambledBlockTable_equalsContiguous() {
        int bs = 4;
        int nkv = 2;
        int hd = 8;
        int ctx = 11; // 3 blocks, the last one partly filled
        int[] table = {5, 2, 7};
        java.util.Random rnd = new java.util.Random(11);
        float[] kCache = new float[8 * bs * nkv * hd];
        float[] vCache = new float[kCache.length];
        for (int i = 0; i < kCache.length; i++) { // garbage everywhere, including unused blocks
            kCache[i] = (float) rnd.nextGaussian();
            vCache[i] = (float) rnd.nextGaussian();
        }
        int kvh = 1;
        float[][] keys = new float[ctx][hd];
        float[][] values = new float[ctx][hd];
        for (int j = 0; j < ctx; j++) {
            int slot = table[j / bs] * bs + j % bs;
            System.arraycopy(kCache, (slot * nkv + kvh) * hd, keys[j], 0, hd);
            System.arraycopy(vCache, (slot * nkv + kvh) * hd, values[j], 0, hd);
        }
        float[] q = new float[hd];
        for (int i = 0; i < hd; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        float scale = (float) (1 / Math.sqrt(hd));
        float[] paged = CpuReference.pagedAttention(q, 0, kCache, vCache, table, 0, bs, nkv, kvh, hd, ctx, scale);
        float[] contiguous = CpuReference.contiguousAttention(q, keys, values, ctx, scale);
        assertArrayEquals(contiguous, paged, 1e-5f);
    }

    // ---- the whole decoder ----

    private static int[] prompt(int n, int salt) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = (i * 37 + salt * 101 + 5) % LlamaConfig.tiny().vocab();
        }
        return p;
    }

    /** Runs request {@code id} through the given chunks, returning the logits of the final chunk's last token. */
    private static float[] run(CpuReference ref, KvBlockManager kv, long id, int[] prompt, int... chunks) {
        kv.getOrCreate(id, () -> prompt);
        StepPlan p = new StepPlan();
        int off = 0;
        float[] last = null;
        for (int c : chunks) {
            boolean produces = off + c == prompt.length;
            p.pack(new ScriptedStep().prefill(id, off, c, produces), kv);
            float[][] logits = ref.logits(p);
            if (produces) {
                last = logits[0];
            }
            off += c;
        }
        return last;
    }

    @Test
    void forward_chunkedPrefill_matchesSinglePrefillExactly() {
        LlamaConfig c = LlamaConfig.tiny();
        int[] pr = prompt(13, 1);
        float[] whole = run(new CpuReference(c, 16, 4), new KvBlockManager(16, 4), 1, pr, 13);
        float[] chunked = run(new CpuReference(c, 16, 4), new KvBlockManager(16, 4), 1, pr, 5, 3, 5);
        float[] oneByOne = run(new CpuReference(c, 16, 4), new KvBlockManager(16, 4), 1, pr,
                1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        assertEquals(c.vocab(), whole.length);
        assertArrayEquals(whole, chunked, 0f);
        assertArrayEquals(whole, oneByOne, 0f);
        assertTrue(Arrays.stream(box(whole)).allMatch(Float::isFinite));
        double spread = Arrays.stream(box(whole)).mapToDouble(f -> f).max().getAsDouble()
                - Arrays.stream(box(whole)).mapToDouble(f -> f).min().getAsDouble();
        assertTrue(spread > 1e-2, "logits are not degenerate: spread " + spread);
    }

    @Test
    void forward_futureToken_doesNotChangeEarlierPositions() {
        LlamaConfig c = LlamaConfig.tiny();
        int[] a = prompt(8, 2);
        int[] b = a.clone();
        b[7] = (b[7] + 1) % c.vocab(); // differs only in the last position
        float[][] ra = rowLogits(c, a);
        float[][] rb = rowLogits(c, b);
        for (int pos = 0; pos < 7; pos++) {
            assertArrayEquals(ra[pos], rb[pos], 0f, "position " + pos + " must not see position 7");
        }
        assertFalse(Arrays.equals(ra[7], rb[7]), "position 7 sees its own token");
    }

    /** Logits at every position of a one-chunk prefill (sample rows overridden to all tokens). */
    private static float[][] rowLogits(LlamaConfig c, int[] pr) {
        KvBlockManager kv = new KvBlockManager(8, 4);
        kv.getOrCreate(1, () -> pr);
        StepPlan p = new StepPlan();
        p.pack(new ScriptedStep().prefill(1, 0, pr.length, true), kv);
        p.sampleRows = new int[pr.length];
        p.sampleEntries = new int[pr.length];
        for (int i = 0; i < pr.length; i++) {
            p.sampleRows[i] = i;
        }
        p.samples = pr.length;
        return new CpuReference(c, 8, 4).logits(p);
    }

    @Test
    void forward_batchedWithOtherRequests_sameLogitsAsAlone() {
        LlamaConfig c = LlamaConfig.tiny();
        int[] p1 = prompt(9, 3);
        int[] p2 = prompt(6, 4);
        float[] alone = run(new CpuReference(c, 32, 4), new KvBlockManager(32, 4), 1, p1, 9);
        CpuReference ref = new CpuReference(c, 32, 4);
        KvBlockManager kv = new KvBlockManager(32, 4);
        kv.getOrCreate(2, () -> p2);
        kv.getOrCreate(1, () -> p1);
        StepPlan p = new StepPlan();
        p.pack(new ScriptedStep().prefill(2, 0, 4, false).prefill(1, 0, 9, true), kv);
        float[][] logits = ref.logits(p);
        assertEquals(1, logits.length);
        assertArrayEquals(alone, logits[0], 0f);
    }

    private static Float[] box(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }
}

package dev.equinox.gpu;

/**
 * A pure-Java implementation of the same Llama decoder as the GPU kernels, for small shapes: the reference the
 * GPU tests compare logits against, and the backend that lets the host loop, the paging and the packing be tested
 * end to end without a GPU.
 *
 * <p>It mirrors the kernels' numerics: fp16 storage (weights, normalized activations, q/k/v, attention output,
 * MLP activations, KV cache), fp32 residual stream and accumulation, rounding to fp16 exactly where the kernels
 * store fp16. What differs is only the fp32 summation order (tensor cores, warp reductions, online softmax), so
 * GPU logits agree with these to fp16 tolerance, not bit for bit.
 *
 * <p>Every token is computed independently of the others in its step (its own row of every matmul, its own
 * attention over its sequence's keys in position order), so the results do not depend on how requests are
 * batched or chunked: the tests use this to check batched, chunked, paged execution against one request alone.
 */
final class CpuReference implements ModelRunner {
    private final LlamaConfig c;
    private final float[] embed;
    private final float[] finalNorm;
    private final float[] lmHead;
    private final float[][] attnNorm;
    private final float[][] wqkv;
    private final float[][] wo;
    private final float[][] mlpNorm;
    private final float[][] wgu;
    private final float[][] wdown;
    private final float[][] kCache;
    private final float[][] vCache;
    private final int blockSize;

    CpuReference(LlamaConfig config, int numBlocks, int blockSize) {
        this.c = config;
        this.blockSize = blockSize;
        long kvElems = (long) numBlocks * blockSize * c.kvHeads() * c.headDim();
        long weights = c.params();
        if (weights > 64_000_000L || kvElems * c.layers() * 2 > 64_000_000L) {
            throw new IllegalArgumentException("the CPU reference is for small shapes; " + c + " with " + numBlocks
                    + " KV blocks is too large");
        }
        long seed = c.seed();
        int h = c.hidden();
        embed = WeightInit.floats(c.vocab() * h, seed, WeightInit.EMBED, 1f, 0f);
        finalNorm = WeightInit.floats(h, seed, WeightInit.FINAL_NORM, 0.1f, 1f);
        lmHead = WeightInit.floats(c.vocab() * h, seed, WeightInit.LM_HEAD, WeightInit.linearScale(h), 0f);
        int layers = c.layers();
        attnNorm = new float[layers][];
        wqkv = new float[layers][];
        wo = new float[layers][];
        mlpNorm = new float[layers][];
        wgu = new float[layers][];
        wdown = new float[layers][];
        kCache = new float[layers][(int) kvElems];
        vCache = new float[layers][(int) kvElems];
        int attnWidth = c.heads() * c.headDim();
        for (int l = 0; l < layers; l++) {
            attnNorm[l] = WeightInit.floats(h, seed, WeightInit.layerTensor(l, WeightInit.ATTN_NORM), 0.1f, 1f);
            wqkv[l] = WeightInit.floats(c.qkvDim() * h, seed, WeightInit.layerTensor(l, WeightInit.WQKV), WeightInit.linearScale(h), 0f);
            wo[l] = WeightInit.floats(h * attnWidth, seed, WeightInit.layerTensor(l, WeightInit.WO), WeightInit.linearScale(attnWidth), 0f);
            mlpNorm[l] = WeightInit.floats(h, seed, WeightInit.layerTensor(l, WeightInit.MLP_NORM), 0.1f, 1f);
            wgu[l] = WeightInit.floats(2 * c.intermediate() * h, seed, WeightInit.layerTensor(l, WeightInit.W_GATE_UP), WeightInit.linearScale(h), 0f);
            wdown[l] = WeightInit.floats(h * c.intermediate(), seed, WeightInit.layerTensor(l, WeightInit.W_DOWN), WeightInit.linearScale(c.intermediate()), 0f);
        }
    }

    @Override
    public void forward(StepPlan plan, int[] sampled) {
        float[][] logits = logits(plan);
        for (int r = 0; r < plan.samples; r++) {
            sampled[r] = argmax(logits[r]);
        }
    }

    /** Runs the step (appending to the KV cache) and returns the logits of the sample rows. */
    float[][] logits(StepPlan plan) {
        int tokens = plan.tokens;
        int h = c.hidden();
        int nh = c.heads();
        int nkv = c.kvHeads();
        int hd = c.headDim();
        int inter = c.intermediate();
        float[][] x = new float[tokens][h];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(embed, plan.tokenIds[t] * h, x[t], 0, h);
        }
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[][] qkvRows = new float[tokens][];
        for (int l = 0; l < c.layers(); l++) {
            for (int t = 0; t < tokens; t++) {
                float[] hn = rmsnorm(x[t], attnNorm[l], c.rmsEps());
                float[] qkv = roundAll(matvec(wqkv[l], hn, c.qkvDim()));
                for (int head = 0; head < nh + nkv; head++) {
                    rope(qkv, head * hd, hd, plan.positions[t], c.ropeTheta());
                }
                int slotBase = plan.slots[t] * nkv * hd;
                System.arraycopy(qkv, nh * hd, kCache[l], slotBase, nkv * hd);
                System.arraycopy(qkv, (nh + nkv) * hd, vCache[l], slotBase, nkv * hd);
                qkvRows[t] = qkv; // kept for the attention pass below
            }
            // attention after all of the step's keys are appended (as on the GPU)
            for (int t = 0; t < tokens; t++) {
                int e = plan.tokenEntry[t];
                int ctx = plan.positions[t] + 1;
                float[] attn = new float[nh * hd];
                for (int head = 0; head < nh; head++) {
                    int kvh = head / (nh / nkv);
                    float[] out = pagedAttention(qkvRows[t], head * hd, kCache[l], vCache[l], plan.blockTables,
                            e * plan.maxBlocks, blockSize, nkv, kvh, hd, ctx, scale);
                    for (int i = 0; i < hd; i++) {
                        attn[head * hd + i] = Fp16.round(out[i]);
                    }
                }
                addInto(x[t], matvec(wo[l], attn, h));
                float[] hn = rmsnorm(x[t], mlpNorm[l], c.rmsEps());
                float[] gu = roundAll(matvec(wgu[l], hn, 2 * inter));
                float[] act = siluMul(gu, inter);
                addInto(x[t], matvec(wdown[l], act, h));
            }
        }
        float[][] logits = new float[plan.samples][];
        for (int r = 0; r < plan.samples; r++) {
            float[] hn = rmsnorm(x[plan.sampleRows[r]], finalNorm, c.rmsEps());
            logits[r] = matvec(lmHead, hn, c.vocab());
        }
        return logits;
    }

    // ---- the math, one function per kernel, static so tests can check it on hand-made inputs ----

    /** {@code fp16(x * rsqrt(mean(x^2) + eps) * w)} (rmsnorm_f16). */
    static float[] rmsnorm(float[] x, float[] w, float eps) {
        float ss = 0;
        for (float v : x) {
            ss += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / x.length + eps));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Fp16.round(x[i] * inv * w[i]);
        }
        return out;
    }

    /**
     * Rotary embedding, rotate-half convention, in place on {@code v[off .. off + hd)} at position {@code pos},
     * rounding to fp16 (rope_f16).
     */
    static void rope(float[] v, int off, int hd, int pos, float theta) {
        int half = hd / 2;
        for (int i = 0; i < half; i++) {
            float invFreq = (float) Math.pow(theta, -2.0 * i / hd);
            float angle = pos * invFreq;
            float s = (float) Math.sin(angle);
            float co = (float) Math.cos(angle);
            float x1 = v[off + i];
            float x2 = v[off + i + half];
            v[off + i] = Fp16.round(x1 * co - x2 * s);
            v[off + i + half] = Fp16.round(x2 * co + x1 * s);
        }
    }

    /** {@code out[r] = sum_k w[r * K + k] * x[k]} with K = x.length, fp32 (one output row of the GEMM). */
    static float[] matvec(float[] w, float[] x, int rows) {
        int k = x.length;
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            float acc = 0;
            int base = r * k;
            for (int i = 0; i < k; i++) {
                acc += w[base + i] * x[i];
            }
            out[r] = acc;
        }
        return out;
    }

    /** {@code fp16(silu(g) * u)} over the fused gate/up row (silu_mul_f16). */
    static float[] siluMul(float[] gu, int inter) {
        float[] out = new float[inter];
        for (int i = 0; i < inter; i++) {
            float g = gu[i];
            float silu = (float) (g / (1.0 + Math.exp(-g)));
            out[i] = Fp16.round(silu * gu[inter + i]);
        }
        return out;
    }

    /** Index of the largest value; ties go to the lowest index (argmax_f32). */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Softmax attention of one query head over positions {@code 0 .. ctx-1} of a sequence read through its block
     * table from a paged cache laid out as [slot][kvHead][headDim]. {@code q} is pre-scale.
     */
    static float[] pagedAttention(float[] q, int qOff, float[] kCache, float[] vCache, int[] blockTable, int tableOff,
            int blockSize, int nkv, int kvh, int hd, int ctx, float scale) {
        float[] scores = new float[ctx];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < ctx; j++) {
            int slot = blockTable[tableOff + j / blockSize] * blockSize + j % blockSize;
            int base = (slot * nkv + kvh) * hd;
            float dot = 0;
            for (int i = 0; i < hd; i++) {
                dot += q[qOff + i] * scale * kCache[base + i];
            }
            scores[j] = dot;
            max = Math.max(max, dot);
        }
        float sum = 0;
        for (int j = 0; j < ctx; j++) {
            scores[j] = (float) Math.exp(scores[j] - max);
            sum += scores[j];
        }
        float[] out = new float[hd];
        for (int j = 0; j < ctx; j++) {
            int slot = blockTable[tableOff + j / blockSize] * blockSize + j % blockSize;
            int base = (slot * nkv + kvh) * hd;
            float p = scores[j] / sum;
            for (int i = 0; i < hd; i++) {
                out[i] += p * vCache[base + i];
            }
        }
        return out;
    }

    /**
     * The same attention over contiguous keys and values ({@code keys[j]}, {@code values[j]} for positions
     * 0 .. ctx-1): the textbook definition the paged version must equal.
     */
    static float[] contiguousAttention(float[] q, float[][] keys, float[][] values, int ctx, float scale) {
        int hd = q.length;
        double[] s = new double[ctx];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < ctx; j++) {
            double dot = 0;
            for (int i = 0; i < hd; i++) {
                dot += (double) q[i] * scale * keys[j][i];
            }
            s[j] = dot;
            max = Math.max(max, dot);
        }
        double sum = 0;
        for (int j = 0; j < ctx; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
        }
        float[] out = new float[hd];
        for (int i = 0; i < hd; i++) {
            double acc = 0;
            for (int j = 0; j < ctx; j++) {
                acc += s[j] / sum * values[j][i];
            }
            out[i] = (float) acc;
        }
        return out;
    }

    private static float[] roundAll(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = Fp16.round(v[i]);
        }
        return v;
    }

    private static void addInto(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    @Override
    public long lastDeviceNanos() {
        return -1;
    }

    @Override
    public String describe() {
        return "cpu-reference";
    }

    @Override
    public void close() {
    }
}

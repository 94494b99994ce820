package dev.equinox.gpu;

/**
 * Deterministic synthetic weights: every element is a pure function of (seed, tensor id, index), a SplitMix64
 * hash mapped to a uniform value, so the GPU upload and the CPU reference produce identical fp16 weights without
 * storing them and without a random-number stream (any chunk can be generated independently).
 *
 * <p>Scales keep activations of a random deep network bounded: linear layers uniform in +-1/sqrt(fan-in),
 * RMSNorm weights 1 +- 0.1, embeddings uniform in +-1.
 */
final class WeightInit {
    static final int EMBED = 0;
    static final int FINAL_NORM = 1;
    static final int LM_HEAD = 2;
    static final int ATTN_NORM = 0;
    static final int WQKV = 1;
    static final int WO = 2;
    static final int MLP_NORM = 3;
    static final int W_GATE_UP = 4;
    static final int W_DOWN = 5;

    private WeightInit() {
    }

    /** Tensor id of a per-layer tensor ({@link #ATTN_NORM} .. {@link #W_DOWN}). */
    static int layerTensor(int layer, int which) {
        return 16 + layer * 8 + which;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [-1, 1), 24 bits of resolution. */
    static float uniform(long seed, int tensor, long index) {
        long h = mix(seed * 0x9e3779b97f4a7c15L + tensor * 0xd1b54a32d192ed03L + index * 0x9e3779b97f4a7c15L + 0x632be59bd9b4e019L);
        return ((h >>> 40) * 0x1p-23f) - 1f;
    }

    /** The fp16 bits of element {@code index} of a tensor with {@code value = bias + scale * uniform}. */
    static short half(long seed, int tensor, long index, float scale, float bias) {
        return Fp16.fromFloat(bias + scale * uniform(seed, tensor, index));
    }

    /** Fills {@code dst[0..n)} with elements {@code offset..offset+n} of a tensor, as fp16 bits. */
    static void fillHalf(short[] dst, int n, long seed, int tensor, long offset, float scale, float bias) {
        for (int i = 0; i < n; i++) {
            dst[i] = half(seed, tensor, offset + i, scale, bias);
        }
    }

    /** A whole tensor as floats holding fp16-rounded values (for the CPU reference; small shapes only). */
    static float[] floats(int n, long seed, int tensor, float scale, float bias) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = Fp16.toFloat(half(seed, tensor, i, scale, bias));
        }
        return out;
    }

    /** Scale of a linear layer with the given fan-in. */
    static float linearScale(int fanIn) {
        return (float) (1.0 / Math.sqrt(fanIn));
    }
}

package dev.equinox.gpu;

import java.util.Locale;
import java.util.Objects;

/**
 * The shape of a Llama-architecture decoder (pre-RMSNorm, rotary embeddings, grouped-query attention, SiLU-gated
 * MLP, untied LM head) plus the seed of its deterministic synthetic weights. Immutable; validated on
 * construction against what the kernels support: {@code hidden = heads x headDim}, {@code headDim} a multiple of
 * 32 and at most 256, {@code heads} a multiple of {@code kvHeads}, {@code hidden} and {@code intermediate}
 * multiples of 8 (16-byte GEMM loads).
 *
 * <p>Presets: {@link #tiny()} for tests (runs on the CPU reference in milliseconds), {@link #small()} for quick
 * GPU runs, {@link #llama2_7b()} and {@link #llama3_8b()} with the published shapes (synthetic weights: the
 * outputs are meaningless text, the step times are those of the real model).
 */
public final class LlamaConfig {
    private final String name;
    private final int layers;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int intermediate;
    private final int vocab;
    private final float ropeTheta;
    private final float rmsEps;
    private final long seed;

    /**
     * A configuration; see the class comment for the constraints.
     *
     * @throws IllegalArgumentException naming the field and value that violate a constraint
     */
    public LlamaConfig(String name, int layers, int hidden, int heads, int kvHeads, int intermediate, int vocab,
            float ropeTheta, float rmsEps, long seed) {
        this.name = Objects.requireNonNull(name, "name");
        positive("layers", layers);
        positive("hidden", hidden);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("intermediate", intermediate);
        positive("vocab", vocab);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden (" + hidden + ") must be a multiple of heads (" + heads + ")");
        }
        int hd = hidden / heads;
        if (hd % 32 != 0 || hd > 256) {
            throw new IllegalArgumentException("head dim hidden/heads = " + hd + " must be a multiple of 32 and at most 256");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }
        if (hidden % 8 != 0 || intermediate % 8 != 0) {
            throw new IllegalArgumentException("hidden (" + hidden + ") and intermediate (" + intermediate + ") must be multiples of 8");
        }
        if (!(ropeTheta > 1) || Float.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("ropeTheta must be a finite number > 1, got " + ropeTheta);
        }
        if (!(rmsEps > 0) || rmsEps > 1) {
            throw new IllegalArgumentException("rmsEps must be in (0, 1], got " + rmsEps);
        }
        this.layers = layers;
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.intermediate = intermediate;
        this.vocab = vocab;
        this.ropeTheta = ropeTheta;
        this.rmsEps = rmsEps;
        this.seed = seed;
    }

    /** 2 layers, hidden 128, 4 heads (head dim 32), 2 KV heads, intermediate 256, vocab 512. */
    public static LlamaConfig tiny() {
        return new LlamaConfig("tiny", 2, 128, 4, 2, 256, 512, 10_000f, 1e-5f, 42);
    }

    /**
     * 1 layer, hidden 256, 2 heads of dim 128 (the 7B presets' head size), 1 KV head, intermediate 256, vocab 512:
     * small enough for {@link CpuReference}, so the GPU checks cover the kernels' head-dim-128 paths.
     */
    static LlamaConfig tinyHead128() {
        return new LlamaConfig("tiny-hd128", 1, 256, 2, 1, 256, 512, 10_000f, 1e-5f, 43);
    }

    /** 8 layers, hidden 1024, 8 heads (head dim 128), 4 KV heads, intermediate 2816, vocab 32000 (~0.4 B params). */
    public static LlamaConfig small() {
        return new LlamaConfig("small", 8, 1024, 8, 4, 2816, 32_000, 10_000f, 1e-5f, 42);
    }

    /** Llama-2-7B shapes: 32 layers, hidden 4096, 32 heads, no GQA, intermediate 11008, vocab 32000. */
    public static LlamaConfig llama2_7b() {
        return new LlamaConfig("llama-2-7b", 32, 4096, 32, 32, 11_008, 32_000, 10_000f, 1e-5f, 42);
    }

    /** Llama-3-8B shapes: 32 layers, hidden 4096, 32 heads, 8 KV heads, intermediate 14336, vocab 128256. */
    public static LlamaConfig llama3_8b() {
        return new LlamaConfig("llama-3-8b", 32, 4096, 32, 8, 14_336, 128_256, 500_000f, 1e-5f, 42);
    }

    /**
     * A preset by name: {@code tiny}, {@code small}, {@code llama-2-7b}, {@code llama-3-8b}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static LlamaConfig preset(String presetName) {
        switch (presetName.toLowerCase(Locale.ROOT)) {
            case "tiny":
                return tiny();
            case "small":
                return small();
            case "llama-2-7b":
            case "llama2-7b":
                return llama2_7b();
            case "llama-3-8b":
            case "llama3-8b":
                return llama3_8b();
            default:
                throw new IllegalArgumentException("unknown model preset '" + presetName + "'; known: tiny, small, llama-2-7b, llama-3-8b");
        }
    }

    public String name() {
        return name;
    }

    public int layers() {
        return layers;
    }

    public int hidden() {
        return hidden;
    }

    public int heads() {
        return heads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int intermediate() {
        return intermediate;
    }

    public int vocab() {
        return vocab;
    }

    public float ropeTheta() {
        return ropeTheta;
    }

    public float rmsEps() {
        return rmsEps;
    }

    /** Seed of the synthetic weights. */
    public long seed() {
        return seed;
    }

    /** hidden / heads. */
    public int headDim() {
        return hidden / heads;
    }

    /** Width of the fused q, k, v projection: (heads + 2 kvHeads) x headDim. */
    public int qkvDim() {
        return (heads + 2 * kvHeads) * headDim();
    }

    /** Parameters of one decoder layer. */
    public long layerParams() {
        long h = hidden;
        return 2 * h                                  // two RMSNorm weights
                + (long) qkvDim() * h                 // fused qkv
                + h * (long) heads * headDim()        // output projection
                + 3L * intermediate * h;              // gate, up, down
    }

    /** All parameters: layers, embedding, final norm, LM head. */
    public long params() {
        return layers * layerParams() + 2L * vocab * hidden + hidden;
    }

    /** Bytes of the fp16 weights. */
    public long weightBytes() {
        return 2 * params();
    }

    /** Bytes of KV cache per token over all layers (fp16 keys and values). */
    public long kvBytesPerToken() {
        return 2L * 2 * layers * kvHeads * headDim();
    }

    @Override
    public String toString() {
        return name + "[layers=" + layers + ", hidden=" + hidden + ", heads=" + heads + ", kvHeads=" + kvHeads
                + ", intermediate=" + intermediate + ", vocab=" + vocab + ", params=" + params() + "]";
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + v);
        }
    }
}

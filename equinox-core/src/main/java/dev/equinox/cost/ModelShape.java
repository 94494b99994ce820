package dev.equinox.cost;

/**
 * The dimensions of a decoder-only transformer that a roofline needs, and how it is split over GPUs.
 *
 * @param name           short name for reports
 * @param layers         transformer layers
 * @param hidden         model (residual) width
 * @param heads          query heads
 * @param kvHeads        key/value heads (fewer than {@code heads} with grouped-query attention)
 * @param intermediate   MLP width (gated MLP: three matrices hidden x intermediate)
 * @param vocab          vocabulary size (embedding and LM head)
 * @param bytesPerParam  bytes per weight and per KV element (2 for fp16/bf16)
 * @param tensorParallel GPUs the model is split over (Megatron-style tensor parallelism)
 */
public record ModelShape(String name, int layers, int hidden, int heads, int kvHeads, int intermediate, int vocab,
        int bytesPerParam, int tensorParallel) {

    /** Llama-2-7B: 32 layers, hidden 4096, 32 heads, MLP 11008, vocab 32000, fp16, one GPU. */
    public static final ModelShape LLAMA2_7B = new ModelShape("llama-2-7b", 32, 4096, 32, 32, 11008, 32000, 2, 1);
    /** Llama-2-13B: 40 layers, hidden 5120, 40 heads, MLP 13824, vocab 32000, fp16, one GPU. */
    public static final ModelShape LLAMA2_13B = new ModelShape("llama-2-13b", 40, 5120, 40, 40, 13824, 32000, 2, 1);
    /** Llama-2-70B: 80 layers, hidden 8192, 64 query and 8 KV heads, MLP 28672, vocab 32000, fp16, one GPU. */
    public static final ModelShape LLAMA2_70B = new ModelShape("llama-2-70b", 80, 8192, 64, 8, 28672, 32000, 2, 1);

    /** Validates the shape; tensor parallelism must divide the heads and the KV heads. */
    public ModelShape {
        if (layers <= 0 || hidden <= 0 || heads <= 0 || kvHeads <= 0 || intermediate <= 0 || vocab <= 0
                || bytesPerParam <= 0 || tensorParallel <= 0) {
            throw new IllegalArgumentException("all dimensions of " + name + " must be > 0");
        }
        if (hidden % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(name + ": heads must divide hidden and kvHeads must divide heads");
        }
        if (heads % tensorParallel != 0 || kvHeads % tensorParallel != 0) {
            throw new IllegalArgumentException(name + ": tensor parallel degree " + tensorParallel
                    + " must divide heads (" + heads + ") and KV heads (" + kvHeads + ")");
        }
    }

    /** The same model split over {@code gpus} GPUs. */
    public ModelShape withTensorParallel(int gpus) {
        return new ModelShape(name, layers, hidden, heads, kvHeads, intermediate, vocab, bytesPerParam, gpus);
    }

    /** Width of the key (or value) projection: {@code hidden x kvHeads / heads}. */
    public long kvWidth() {
        return (long) hidden / heads * kvHeads;
    }

    /** Weights of one layer (attention q, k, v, o and the three MLP matrices), whole model, not per GPU. */
    public long paramsPerLayer() {
        long attention = 2L * hidden * hidden + 2L * hidden * kvWidth();
        long mlp = 3L * hidden * intermediate;
        return attention + mlp;
    }

    /** All weights: layers plus embedding and LM head. */
    public long params() {
        return layers * paramsPerLayer() + 2L * vocab * hidden;
    }

    /** KV-cache bytes per token, whole model (keys and values of every layer). */
    public long kvBytesPerToken() {
        return 2L * layers * kvWidth() * bytesPerParam;
    }

    /** Short label, e.g. {@code "llama-2-70b tp4"}. */
    public String label() {
        return name + " tp" + tensorParallel;
    }
}

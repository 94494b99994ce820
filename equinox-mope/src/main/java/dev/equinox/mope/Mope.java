package dev.equinox.mope;

import dev.equinox.RequestSpec;
import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The Mixture of Prediction Experts: predicts a request's output length from its prompt, before it runs, and
 * derives latency, throughput and GPU utilization from an {@link EngineCostModel}. The front door of
 * equinox-mope.
 *
 * <pre>{@code
 * try (Mope mope = Mope.loadDefault()) {
 *     Prediction p = mope.predict(RequestSpec.of("tenant-a", 42, 1024).withPromptText(prompt));
 * }
 * }</pre>
 *
 * <p>Pipeline: the prompt is tokenized (all-MiniLM-L6-v2 WordPiece, truncated to 512 tokens) and encoded by
 * MiniLM (6 layers, 384 wide, mean pooled, on the DJL PyTorch engine); a router (explicit length rules, the
 * max-tokens cap, then a learned classifier) picks one of K output-length buckets; that bucket's expert, trained
 * only on its bucket, predicts log output tokens. The trained router and experts are small and ship in the jar;
 * the encoder weights come from the langchain4j MiniLM jar on Maven Central. Nothing is downloaded.
 *
 * <p>Deterministic: the same request gives the same prediction. A request without prompt text is predicted from
 * its prompt length alone (the embedding of an empty prompt plus the length feature). Thread-safe; predictions
 * take milliseconds to tens of milliseconds on a CPU, so {@link #isBlocking()} is true and the scheduler calls
 * it on its prediction executor. Close to release the native encoder.
 */
public final class Mope implements Predictor {
    /** Class-path location of the bundled default model. */
    static final String DEFAULT_MODEL = "dev/equinox/mope/default-model/";

    private final MopeTokenizer tokenizer;
    private final BertEncoder encoder;
    private final MopeModel model;
    private final EngineCostModel cost;
    private final String source;
    private volatile boolean closed;

    Mope(MopeTokenizer tokenizer, BertEncoder encoder, MopeModel model, EngineCostModel cost, String source) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.model = model;
        this.cost = cost;
        this.source = source;
    }

    /**
     * Loads the bundled default model with the class-path MiniLM tokenizer and encoder, and the
     * {@linkplain CostModels#vtcA10g() VTC A10G} cost model.
     *
     * @throws MopeException when a model file is missing or corrupt, or the engine fails to load
     */
    public static Mope loadDefault() {
        return open(MopeModel.Source.classpath(DEFAULT_MODEL), null, null);
    }

    /** Loads a model directory written by {@code mope train}, with the default tokenizer and cost model. */
    public static Mope load(Path modelDir) {
        return load(modelDir, null, null);
    }

    /**
     * Loads a model directory (null: the bundled default), a tokenizer.json (null: the class-path MiniLM one) and
     * a cost model (null: VTC A10G).
     *
     * @throws MopeException when a file is missing or corrupt, or the engine fails to load
     */
    public static Mope load(Path modelDir, Path tokenizerJson, EngineCostModel costModel) {
        MopeModel.Source src = modelDir == null ? MopeModel.Source.classpath(DEFAULT_MODEL) : MopeModel.Source.directory(modelDir);
        return open(src, tokenizerJson, costModel);
    }

    private static Mope open(MopeModel.Source src, Path tokenizerJson, EngineCostModel costModel) {
        MopeModel model = MopeModel.load(src); // cheap and most likely to fail: first
        MopeTokenizer tok = MopeTokenizer.load(tokenizerJson, 512);
        BertEncoder enc;
        try {
            enc = BertEncoder.miniLm();
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        if (enc.hidden() + MopeModel.EXTRA_FEATURES != model.mean.length) {
            enc.close();
            tok.close();
            throw new MopeException("model at " + src.describe() + " expects " + (model.mean.length - MopeModel.EXTRA_FEATURES)
                    + "-d embeddings, the encoder gives " + enc.hidden());
        }
        return new Mope(tok, enc, model, costModel == null ? CostModels.vtcA10g() : costModel, src.describe());
    }

    @Override
    public String name() {
        return "mope";
    }

    @Override
    public boolean isBlocking() {
        return true;
    }

    /** Where the model was loaded from (a directory or {@code classpath:...}). */
    public String source() {
        return source;
    }

    /** The number of output-length buckets (experts). */
    public int buckets() {
        return model.buckets();
    }

    /**
     * Predicted output tokens for a prompt with no max-tokens cap; the prompt length is counted with the
     * encoder's tokenizer.
     */
    public int predictOutputTokens(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return explain(prompt, tokenizer.count(MopeTokenizer.cut(prompt, 4096)), 0).tokens();
    }

    /** The prediction with its route, for the CLI and evaluation. */
    MopeModel.Result explain(String prompt, int promptTokens, int maxOutputTokens) {
        if (closed) {
            throw new MopeException("this Mope predictor is closed");
        }
        float[] emb = embed(prompt);
        LengthRules.Cue cue = LengthRules.analyse(prompt);
        return model.predict(model.standardise(MopeModel.rawFeatures(emb, promptTokens, cue)), cue, maxOutputTokens);
    }

    /** L2-normalised sentence embedding; null text is embedded as the empty prompt. */
    float[] embed(String prompt) {
        return MopeModel.normalise(encoder.embed(tokenizer.encode(prompt == null ? "" : prompt)));
    }

    /**
     * Predicts output tokens (clamped to the request's cap), then its idle-engine latency, end-to-end
     * throughput (output tokens / latency) and time-weighted GPU utilization from the cost model.
     *
     * @throws MopeException when closed or the engine fails
     */
    @Override
    public Prediction predict(RequestSpec request) {
        int out = explain(request.promptText(), request.promptTokens(), request.maxOutputTokens()).tokens();
        return withCosts(out, request.promptTokens());
    }

    Prediction withCosts(int out, int promptTokens) {
        long pairs = (long) promptTokens * promptTokens;
        double tPrefill = cost.stepSeconds(promptTokens, pairs, 0, 0);
        double uPrefill = cost.utilization(promptTokens, pairs, 0, 0);
        int steps = Math.max(0, out - 1);
        long meanContext = promptTokens + (long) out / 2;
        double tDecode = steps > 0 ? cost.stepSeconds(0, 0, 1, meanContext) : 0;
        double uDecode = steps > 0 ? cost.utilization(0, 0, 1, meanContext) : 0;
        double latency = cost.idleLatencySeconds(promptTokens, out);
        double busy = tPrefill * uPrefill + steps * tDecode * uDecode;
        double util = latency > 0 ? Math.max(0, Math.min(1, busy / latency)) : Double.NaN;
        double throughput = latency > 0 ? out / latency : Double.NaN;
        return new Prediction(out, latency, throughput, util);
    }

    MopeModel model() {
        return model;
    }

    MopeTokenizer tokenizer() {
        return tokenizer;
    }

    BertEncoder encoder() {
        return encoder;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            encoder.close();
            tokenizer.close();
        }
    }
}

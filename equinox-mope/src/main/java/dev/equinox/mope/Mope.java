package dev.equinox.mope;

import dev.equinox.RequestSpec;
import dev.equinox.cost.CostModels;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

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
 * <p>Pipeline: the prompt is tokenized once (all-MiniLM-L6-v2's WordPiece through DJL's HuggingFace tokenizers;
 * the encoder reads at most 512 tokens, the length feature counts the first 98,304 characters) and encoded by
 * MiniLM on the DJL PyTorch engine, mean-pooled after the model's depth of layers (the bundled model uses depth
 * 0, MiniLM's embedding layer: docs/mope.md measured it as accurate as all six layers for this task at a fraction
 * of the cost); a router (explicit length rules, the max-tokens cap, then a learned classifier) picks one of K
 * output-length buckets; that bucket's expert, trained only on its bucket, predicts log output tokens. The
 * trained router and experts are small and ship in the jar; the encoder weights come from the langchain4j
 * MiniLM jar on Maven Central. Nothing is downloaded.
 *
 * <p>Deterministic: the same request always gives the same prediction (no state is kept between requests). A
 * request without prompt text is predicted from its prompt length alone (the embedding of an empty prompt plus
 * the length feature). Texts are sanitised (control characters, unpaired surrogates), and a huge prompt is
 * truncated, so any string is accepted. Thread-safe; a prediction takes 0.25-2.7 ms on a CPU core (p50 at 32-512
 * prompt tokens, docs/performance.md), so {@link #isBlocking()} is true and the scheduler calls it on its
 * prediction executor. Every failure, including one inside the native engine, is a {@link MopeException}, which
 * the scheduler answers with its fallback predictor. Close to release the native encoder; close waits for the
 * predictions in flight on other threads.
 */
public final class Mope implements Predictor {
    /** Class-path location of the bundled default model. */
    static final String DEFAULT_MODEL = "dev/equinox/mope/default-model/";

    private final MopeTokenizer tokenizer;
    private final BertEncoder encoder;
    private final MopeModel model;
    private final EngineCostModel cost;
    private final String source;
    /**
     * Predictions hold the read lock for their whole use of the tokenizer and encoder; {@link #close} takes the
     * write lock, so it waits for predictions in flight and frees the natives only when none uses them. Uncontended,
     * a read lock costs two atomic updates (tens of nanoseconds against a prediction's 0.25 ms and more).
     */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed; // written under the write lock, read under the read lock

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
        return load(null, null, null, null);
    }

    /** Loads a model directory written by {@code mope train}, with its own encoder and tokenizer. */
    public static Mope load(Path modelDir) {
        return load(modelDir, null, null, null);
    }

    /**
     * Loads a model directory (null: the bundled default) with a cost model (null: VTC A10G). The encoder and
     * tokenizer are those the model was trained with (recorded in its {@code mope.json}) unless overridden:
     * {@code encoderOnnx} is a BERT-family ONNX file (or {@code classpath:NAME}, or {@code minilm}) and
     * {@code tokenizerJson} a {@code tokenizer.json} file (or {@code classpath:NAME}); an override must have the
     * hidden size and layer count the model expects.
     *
     * @throws MopeException when a file is missing or corrupt, the encoder does not fit the model, or the
     *                       deep-learning engine fails to load
     */
    public static Mope load(Path modelDir, String encoderOnnx, String tokenizerJson, EngineCostModel costModel) {
        MopeModel.Source src = modelDir == null ? MopeModel.Source.classpath(DEFAULT_MODEL) : MopeModel.Source.directory(modelDir);
        MopeModel model = MopeModel.load(src); // cheap and most likely to fail: first
        MopeModel.EncoderConfig ec = model.encoder;
        MopeTokenizer tok = MopeTokenizer.load(tokenizerJson != null ? tokenizerJson : ec.tokenizer(), ec.maxTokens());
        BertEncoder enc;
        try {
            enc = BertEncoder.load(encoderOnnx != null ? encoderOnnx : ec.encoder());
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        if (enc.hidden() != ec.hidden() || enc.layers() != ec.layers()) {
            enc.close();
            tok.close();
            throw new MopeException("model at " + src.describe() + " was trained on a " + ec.layers() + "-layer, "
                    + ec.hidden() + "-wide encoder (" + ec.encoder() + "); " + enc.source() + " has " + enc.layers()
                    + " layers of " + enc.hidden());
        }
        if (ec.maxTokens() > enc.maxPositions()) { // the tokenizer's closing [SEP] would lie beyond what the encoder reads
            enc.close();
            tok.close();
            throw new MopeException("model at " + src.describe() + ": encoder.maxTokens " + ec.maxTokens() + " exceeds the "
                    + enc.maxPositions() + "-entry position table of " + enc.source());
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
     * The prediction with its route. The prompt-length feature is counted from the text when there is text (what
     * training did), else it is {@code promptTokens}.
     */
    MopeModel.Result explain(String prompt, int promptTokens, int maxOutputTokens) {
        ReentrantReadWriteLock.ReadLock r = open();
        try {
            return route(prompt, promptTokens, maxOutputTokens);
        } finally {
            r.unlock();
        }
    }

    /** {@link #explain} for a caller holding the read lock. */
    private MopeModel.Result route(String prompt, int promptTokens, int maxOutputTokens) {
        MopeTokenizer.Tokens t = tokenizer.tokenize(prompt);
        LengthRules.Cue cue = LengthRules.analyse(prompt);
        return model.predict(features(t, prompt != null ? t.count() : promptTokens, cue), cue, maxOutputTokens);
    }

    /** What {@code mope predict} prints: the route, the single proxy's value on the same features, the costs. */
    record Explanation(MopeModel.Result result, int proxyTokens, Prediction prediction) {
    }

    /**
     * The prediction for a prompt text, with its route and the single proxy's value, from one tokenization; the
     * costs use the counted prompt length (at least 1).
     */
    Explanation explainText(String prompt, int maxOutputTokens) {
        Objects.requireNonNull(prompt, "prompt");
        ReentrantReadWriteLock.ReadLock lk = open();
        try {
            MopeTokenizer.Tokens t = tokenizer.tokenize(prompt);
            LengthRules.Cue cue = LengthRules.analyse(prompt);
            float[] x = features(t, t.count(), cue);
            MopeModel.Result r = model.predict(x, cue, maxOutputTokens);
            return new Explanation(r, model.proxyTokens(x, maxOutputTokens), withCosts(r.tokens(), Math.max(1, t.count())));
        } finally {
            lk.unlock();
        }
    }

    /** The read lock, held, when this predictor is open (the caller unlocks it); else a MopeException. */
    private ReentrantReadWriteLock.ReadLock open() {
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        if (closed) {
            r.unlock();
            throw new MopeException("this Mope predictor is closed");
        }
        return r;
    }

    /** Standardised features: the L2-normalised embedding at the model's depth, the length and the cue. */
    private float[] features(MopeTokenizer.Tokens t, int length, LengthRules.Cue cue) {
        float[] emb = MopeModel.normalise(encoder.embed(t.ids(), model.encoder.depth()));
        return model.standardise(MopeModel.rawFeatures(emb, length, cue));
    }

    /**
     * Predicts output tokens (clamped to the request's cap), then its idle-engine latency, end-to-end
     * throughput (output tokens / latency) and time-weighted GPU utilization from the cost model, for the
     * request's prompt length. The prompt-length feature is counted from the text when there is text (as in
     * training), else taken from the request.
     *
     * @throws MopeException when closed or the engine fails
     */
    @Override
    public Prediction predict(RequestSpec request) {
        ReentrantReadWriteLock.ReadLock r = open(); // held to the end: close waits for this prediction
        try {
            int out = route(request.promptText(), request.promptTokens(), request.maxOutputTokens()).tokens();
            return withCosts(out, request.promptTokens());
        } catch (MopeException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) { // DJL's native engine, the cost model...: one typed exception
            throw new MopeException("MoPE prediction failed for " + request + ": " + e, e);
        } finally {
            r.unlock();
        }
    }

    /**
     * Latency, throughput and utilization for {@code out} output tokens after a prompt of {@code promptTokens}
     * (at least 1). The latency is {@link EngineCostModel#idleLatencySeconds}'s definition (one prefill step, then
     * {@code out - 1} batch-1 decode steps at the mean context, as core's cost models compute it) summed from the
     * step times that also weight the utilization, so each step time is asked of the cost model once.
     */
    Prediction withCosts(int out, int promptTokens) {
        long pairs = (long) promptTokens * promptTokens;
        double tPrefill = cost.stepSeconds(promptTokens, pairs, 0, 0);
        double uPrefill = cost.utilization(promptTokens, pairs, 0, 0);
        int steps = Math.max(0, out - 1);
        long meanContext = promptTokens + (long) out / 2;
        double tDecode = steps > 0 ? cost.stepSeconds(0, 0, 1, meanContext) : 0;
        double uDecode = steps > 0 ? cost.utilization(0, 0, 1, meanContext) : 0;
        double latency = steps > 0 ? tPrefill + steps * tDecode : tPrefill;
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

    /**
     * Releases the native encoder and tokenizer, after waiting for the predictions in flight on other threads
     * (they finish normally); a prediction started after close throws a {@link MopeException}. Idempotent.
     */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                try {
                    encoder.close();
                } finally {
                    tokenizer.close();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}

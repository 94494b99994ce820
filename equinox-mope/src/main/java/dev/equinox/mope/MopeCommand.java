package dev.equinox.mope;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.equinox.RequestSpec;
import dev.equinox.spi.Prediction;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code mope} command: {@code train}, {@code eval}, {@code predict}, {@code bench} and {@code study}
 * ({@link MopeStudy}) subcommands; docs/mope.md has every measurement with the command that made it. Runs
 * standalone ({@link #main}) or as a subcommand of the {@code equinox} CLI. Sets {@code ai.djl.offline=true}
 * and one PyTorch thread (intra- and inter-op) unless already set, so nothing is downloaded and a shared machine
 * is not flooded; pass {@code -Dai.djl.pytorch.num_threads=N} to use more.
 *
 * <pre>
 * mope train --data gpteacher.jsonl.gz --data oasst.jsonl.gz --limit 20000 --out model/
 * mope eval --model model/ --data other.jsonl.gz
 * mope study --train gpteacher.jsonl.gz --test oasst.jsonl.gz --depths 0,2,6
 * mope predict --prompt "Write a 500-word essay on tides"
 * mope bench --tokens 32,128,512
 * </pre>
 */
@Command(name = "mope", mixinStandardHelpOptions = true,
        description = "Mixture of Prediction Experts: train, evaluate and run the output-length predictor.",
        subcommands = {MopeCommand.Train.class, MopeCommand.Eval.class, MopeCommand.Predict.class, MopeCommand.Bench.class,
            MopeStudy.class})
public class MopeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Creates the command (picocli instantiates it). */
    public MopeCommand() {
    }

    /** Runs {@code mope} standalone; exits with the command's status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new MopeCommand()).execute(args));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    static void defaults() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        void log(String s) {
            out().println(s);
            out().flush();
        }

        @Override
        public Integer call() {
            defaults();
            try {
                return run();
            } catch (MopeException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("mope " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }

        abstract int run();
    }

    /** Data and encoder options shared by train, eval and study. */
    static class DataOptions {
        @Option(names = "--tokenizer", paramLabel = "JSON",
                description = "tokenizer.json that counts response tokens (default: the encoder's).")
        String countTokenizer;
        @Option(names = "--limit", defaultValue = "3000", description = "Examples sampled per data file, 0 = all (default ${DEFAULT-VALUE}).")
        int limit;
        @Option(names = "--cache", description = "Embedding cache file (default: $TMPDIR/equinox-mope-cache/<encoder>.emb).")
        Path cache;
        @Option(names = "--tenants", defaultValue = "field", description = "Tenants of the moving average and online rows: "
                + "field (the data's tenant/model_name/subset) or hash:N (N tenants by hash, unrelated to content; default ${DEFAULT-VALUE}).")
        String tenants;

        List<Dataset.Example> read(Path file, long seed, MopeTokenizer encoderTokenizer, java.util.function.Consumer<String> log) {
            List<Dataset.Example> d;
            if (countTokenizer == null) {
                d = Dataset.read(file, limit, seed, encoderTokenizer);
            } else {
                try (MopeTokenizer t = MopeTokenizer.load(countTokenizer, 512)) {
                    d = Dataset.read(file, limit, seed, t);
                }
            }
            log.accept("read " + d.size() + " examples from " + file);
            return Dataset.withTenants(d, tenants, seed);
        }

        Path cache(BertEncoder enc, MopeTokenizer tok) {
            return cache != null ? cache : Featurizer.defaultCache(enc, tok.maxTokens());
        }
    }

    /** {@code mope train}: embeds, trains router, experts and the proxy, saves the model, prints validation scores. */
    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train a MoPE model from JSONL prompt/output data: dataset -> router -> split by bucket -> experts.",
                "Each line: 'prompt' (or GPTeacher's 'instruction' + 'input') and 'output_tokens' or response text",
                "('response' or 'output'); optional 'tenant' and 'max_tokens'."})
    static class Train extends Base {
        @Option(names = "--data", required = true, description = "JSONL(.gz) data set; repeat to combine several.")
        List<Path> data = new ArrayList<>();
        @Option(names = "--out", required = true, description = "Model directory to write.")
        Path outDir;
        @CommandLine.Mixin
        DataOptions opts = new DataOptions();
        @Option(names = "--encoder", description = "BERT-family ONNX file or classpath:NAME (default: minilm, all-MiniLM-L6-v2 from the class path).")
        String encoder;
        @Option(names = "--encoder-tokenizer", description = "The encoder's tokenizer.json (default: MiniLM's from the class path).")
        String encoderTokenizer;
        @Option(names = "--depth", defaultValue = "0", description = "Encoder layers to run: 0 = the embedding layer only "
                + "(as accurate as all 6 layers in docs/mope.md and 10-50x faster), -1 = all (default ${DEFAULT-VALUE}).")
        int depth;
        @Option(names = "--max-encoder-tokens", defaultValue = "512", description = "Encoder input length (default ${DEFAULT-VALUE}).")
        int maxEncoderTokens;
        @Option(names = "--seed", defaultValue = "42", description = "Seed of sampling, split and initialisation (default ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--buckets", defaultValue = "3", description = "Number of experts K (default ${DEFAULT-VALUE}).")
        int buckets;
        @Option(names = "--hidden", defaultValue = "64", description = "Hidden units of router and experts (default ${DEFAULT-VALUE}).")
        int hidden;
        @Option(names = "--routing", defaultValue = "SOFT", description = "HARD (the chosen bucket's expert) or SOFT "
                + "(router-weighted geometric mean of the experts; default ${DEFAULT-VALUE}).")
        MopeModel.Routing routing;
        @Option(names = "--validation", defaultValue = "0.1", description = "Validation share (default ${DEFAULT-VALUE}).")
        double validation;
        @Option(names = "--eval", description = "Also evaluate on this JSONL(.gz) file after training; repeatable.")
        List<Path> evalData = new ArrayList<>();
        @Option(names = "--eval-seed", defaultValue = "7", description = "Sampling seed of --eval files (default ${DEFAULT-VALUE}).")
        long evalSeed;

        @Override
        int run() {
            if (buckets < 2 || buckets > 16) {
                throw new IllegalArgumentException("--buckets must be in [2, 16], got " + buckets);
            }
            long t0 = System.nanoTime();
            try (MopeTokenizer tok = MopeTokenizer.load(encoderTokenizer, maxEncoderTokens); BertEncoder enc = BertEncoder.load(encoder)) {
                if (maxEncoderTokens > enc.maxPositions()) { // Mope.load would reject the model
                    throw new IllegalArgumentException("--max-encoder-tokens " + maxEncoderTokens + " exceeds the encoder's "
                            + enc.maxPositions() + " positions");
                }
                int d = depth < 0 ? enc.layers() : depth;
                MopeModel.EncoderConfig ec = MopeModel.EncoderConfig.of(enc, d, tok, encoderTokenizer);
                List<Dataset.Example> all = new ArrayList<>();
                ArrayNode files = new ObjectMapper().createArrayNode();
                for (Path p : data) {
                    all.addAll(opts.read(p, seed, tok, this::log));
                    files.add(p.getFileName().toString());
                }
                Featurizer f = new Featurizer(tok, enc);
                float[][] raw = f.features(all, d, opts.cache(enc, tok), this::log);
                int[] tokens = all.stream().mapToInt(Dataset.Example::outputTokens).toArray();
                String[] groups = all.stream().map(Dataset.Example::prompt).toArray(String[]::new);
                ObjectNode info = new ObjectMapper().createObjectNode();
                info.set("data", files);
                info.put("limitPerFile", opts.limit);
                Mlp.Config dc = Mlp.Config.defaults(seed);
                Mlp.Config cfg = new Mlp.Config(hidden, dc.maxEpochs(), dc.patience(), dc.batch(), dc.lr(), dc.weightDecay(), seed);
                MopeTrainer.Trained t = MopeTrainer.train(ec, routing, raw, tokens, groups, buckets, validation, cfg, info, this::log);
                t.model().save(outDir);
                List<Dataset.Example> val = new ArrayList<>();
                float[][] vraw = new float[t.validation().length][];
                for (int i = 0; i < vraw.length; i++) {
                    val.add(all.get(t.validation()[i]));
                    vraw[i] = raw[t.validation()[i]];
                }
                log("validation split (in-distribution):");
                log(MopeEvaluator.evaluate(t.model(), val, vraw).format());
                for (Path p : evalData) {
                    List<Dataset.Example> e = opts.read(p, evalSeed, tok, this::log);
                    log("evaluation on " + p + ":");
                    log(MopeEvaluator.evaluate(t.model(), e, f.features(e, d, opts.cache(enc, tok), this::log)).format());
                }
                log(String.format(Locale.ROOT, "model written to %s in %.1f s", outDir, (System.nanoTime() - t0) / 1e9));
            }
            return 0;
        }
    }

    /** {@code mope eval}: MoPE vs single proxy, moving average and training median on a data set. */
    @Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Evaluate a model and the baselines (single proxy, per-tenant moving average, training median) on a data set.")
    static class Eval extends Base {
        @Option(names = "--model", description = "Model directory (default: the bundled model).")
        Path model;
        @Option(names = "--data", required = true, description = "JSONL(.gz) data set.")
        Path data;
        @CommandLine.Mixin
        DataOptions opts = new DataOptions();
        @Option(names = "--seed", defaultValue = "7", description = "Sampling seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        int run() {
            try (Mope mope = Mope.load(model)) {
                log("model " + mope.source() + " (encoder " + mope.encoder().source() + ", depth " + mope.model().encoder.depth() + ")");
                List<Dataset.Example> d = opts.read(data, seed, mope.tokenizer(), this::log);
                float[][] raw = new Featurizer(mope.tokenizer(), mope.encoder()).features(d, mope.model().encoder.depth(),
                        opts.cache(mope.encoder(), mope.tokenizer()), this::log);
                log(MopeEvaluator.evaluate(mope.model(), d, raw).format());
            }
            return 0;
        }
    }

    /** {@code mope predict}: one prompt. */
    @Command(name = "predict", mixinStandardHelpOptions = true, description = "Predict the output length of one prompt.")
    static class Predict extends Base {
        @Option(names = "--model", description = "Model directory (default: the bundled model).")
        Path model;
        @Option(names = "--prompt", required = true, description = "Prompt text.")
        String prompt;
        @Option(names = "--max-tokens", defaultValue = "0", description = "The request's output cap, 0 = none.")
        int maxTokens;

        @Override
        int run() {
            try (Mope mope = Mope.load(model)) {
                Mope.Explanation x = mope.explainText(prompt, maxTokens);
                MopeModel.Result r = x.result();
                Prediction p = x.prediction();
                log(String.format(Locale.ROOT, "output tokens %d (bucket %d via %s; learned router said %d; single proxy %d)",
                        r.tokens(), r.bucket(), r.reason(), r.routerBucket(), x.proxyTokens()));
                log(String.format(Locale.ROOT, "idle latency %.3f s, throughput %.1f tokens/s, GPU utilization %.2f (cost model: VTC A10G)",
                        p.latencySeconds(), p.throughputTokensPerSecond(), p.gpuUtilization()));
            }
            return 0;
        }
    }

    /** {@code mope bench}: p50/p90 latency of one prediction at given prompt lengths (single thread). */
    @Command(name = "bench", mixinStandardHelpOptions = true, description = "Time predictions at fixed prompt lengths.")
    static class Bench extends Base {
        @Option(names = "--model", description = "Model directory (default: the bundled model).")
        Path model;
        @Option(names = "--tokens", split = ",", defaultValue = "32,128,512", description = "Prompt lengths in encoder tokens.")
        int[] tokens;
        @Option(names = "--iterations", defaultValue = "50", description = "Timed predictions per length.")
        int iterations;
        @Option(names = "--warmup", defaultValue = "10", description = "Untimed predictions per length.")
        int warmup;

        @Override
        int run() {
            try (Mope mope = Mope.load(model)) {
                log("threads: ai.djl.pytorch.num_threads=" + System.getProperty("ai.djl.pytorch.num_threads")
                        + ", available processors " + Runtime.getRuntime().availableProcessors());
                for (int n : tokens) {
                    String text = promptOfTokens(n);
                    int ids = mope.tokenizer().encode(text).length;
                    RequestSpec spec = RequestSpec.of("bench", Math.max(1, ids), 4096).withPromptText(text);
                    for (int i = 0; i < warmup; i++) {
                        mope.predict(spec);
                    }
                    long[] ns = new long[iterations];
                    for (int i = 0; i < iterations; i++) {
                        long t = System.nanoTime();
                        mope.predict(spec);
                        ns[i] = System.nanoTime() - t;
                    }
                    Arrays.sort(ns);
                    log(String.format(Locale.ROOT, "%4d tokens: p50 %.2f ms, p90 %.2f ms, min %.2f ms (%d iterations)", ids,
                            ns[iterations / 2] / 1e6, ns[(int) (iterations * 0.9)] / 1e6, ns[0] / 1e6, iterations));
                }
            }
            return 0;
        }
    }

    private static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "see", "it"};

    /**
     * English text of exactly {@code tokens} MiniLM ids including [CLS] and [SEP] (each word is one WordPiece): the
     * prompts of {@code mope bench}, {@code mope study}'s timings and the JMH {@code MopeBenchmark}.
     *
     * @param tokens the encoder input length wanted, [CLS] and [SEP] included (below 2: the empty prompt)
     * @return {@code tokens - 2} words separated by single spaces
     */
    public static String promptOfTokens(int tokens) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(0, tokens - 2); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(WORDS[i % WORDS.length]);
        }
        return sb.toString();
    }
}

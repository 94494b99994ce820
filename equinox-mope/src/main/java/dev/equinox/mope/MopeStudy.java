package dev.equinox.mope;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mope study}: the measurements behind MoPE's design choices, printed as one table. For each encoder
 * depth (0 = the embedding layer only ... all layers) it trains MoPE on {@code --train} and scores it and its
 * baselines on every {@code --test} set (cross-dataset) and on the validation split; with {@code --finetune K}
 * it also fine-tunes the top K encoder layers ({@link TopLayerTuner}) and trains the same heads on the tuned
 * embeddings. The encoder's latency per prompt at 32, 128 and 512 tokens is timed for each depth.
 */
@Command(name = "study", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare encoder depths (and fine-tuning the top layers) by cross-dataset accuracy and latency.")
final class MopeStudy extends MopeCommand.Base {
    @Option(names = "--train", required = true, description = "Training JSONL(.gz).")
    Path train;
    @Option(names = "--test", required = true, description = "Test JSONL(.gz); repeatable.")
    List<Path> tests = new ArrayList<>();
    @CommandLine.Mixin
    MopeCommand.DataOptions opts = new MopeCommand.DataOptions();
    @Option(names = "--test-limit", defaultValue = "3000", description = "Examples sampled per test file (default ${DEFAULT-VALUE}).")
    int testLimit;
    @Option(names = "--depths", split = ",", defaultValue = "0,1,2,3,6", description = "Encoder depths to compare (default ${DEFAULT-VALUE}).")
    int[] depths;
    @Option(names = "--finetune", defaultValue = "0", description = "Also fine-tune the top K layers (0 = no; default ${DEFAULT-VALUE}).")
    int finetune;
    @Option(names = "--finetune-limit", defaultValue = "2000", description = "Training examples for fine-tuning (default ${DEFAULT-VALUE}).")
    int finetuneLimit;
    @Option(names = "--finetune-epochs", defaultValue = "8", description = "Maximum fine-tuning epochs (default ${DEFAULT-VALUE}).")
    int finetuneEpochs;
    @Option(names = "--encoder", description = "BERT-family ONNX file or classpath:NAME (default: minilm).")
    String encoder;
    @Option(names = "--encoder-tokenizer", description = "The encoder's tokenizer.json (default: MiniLM's).")
    String encoderTokenizer;
    @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--buckets", defaultValue = "3", description = "Experts K (default ${DEFAULT-VALUE}).")
    int buckets;
    @Option(names = "--timing-runs", defaultValue = "15", description = "Timed encodings per depth and length (default ${DEFAULT-VALUE}).")
    int timingRuns;

    private final List<String> rows = new ArrayList<>();

    @Override
    int run() {
        Consumer<String> quiet = s -> {
            if (!s.startsWith("  ") || s.contains(": best epoch")) {
                log(s);
            }
        };
        try (MopeTokenizer tok = MopeTokenizer.load(encoderTokenizer, 512); BertEncoder enc = BertEncoder.load(encoder)) {
            for (int d : depths) {
                if (d < 0 || d > enc.layers()) {
                    throw new IllegalArgumentException("--depths: " + d + " outside [0, " + enc.layers() + "]");
                }
            }
            Featurizer f = new Featurizer(tok, enc);
            Path cache = opts.cache(enc, tok);
            List<Dataset.Example> tr = opts.read(train, seed, tok, this::log);
            float[][][] trEmb = f.embeddings(tr, cache, this::log);
            int limit = opts.limit;
            opts.limit = testLimit;
            List<List<Dataset.Example>> te = new ArrayList<>();
            List<float[][][]> teEmb = new ArrayList<>();
            for (Path p : tests) {
                List<Dataset.Example> d = opts.read(p, 7, tok, this::log);
                te.add(d);
                teEmb.add(f.embeddings(d, cache, this::log));
            }
            opts.limit = limit;
            header();
            for (int d : depths) {
                double[] ms = timing(enc, tok, d);
                evaluate("depth " + d + (d == 0 ? " (embeddings)" : d == enc.layers() ? " (full)" : ""), d, enc, tok,
                        f.features(tr, trEmb, d), tr, te, teEmb.stream().map(e -> f.features(teOf(te, teEmb, e), e, d)).toList(), ms, quiet);
            }
            if (finetune > 0) {
                fineTune(enc, tok, f, tr, trEmb, te, teEmb, quiet);
            }
            log("");
            header();
            rows.forEach(this::log);
        }
        return 0;
    }

    private static List<Dataset.Example> teOf(List<List<Dataset.Example>> te, List<float[][][]> teEmb, float[][][] e) {
        return te.get(teEmb.indexOf(e));
    }

    private void header() {
        String h = String.format(Locale.ROOT, "| %-26s | %-36s | %7s | %7s | %7s | %7s | %7s | %8s | %8s | %6s | %6s | %6s | %6s | %6s |",
                "encoder", "test set", "mope", "hard", "proxy", "mov-avg", "median", "mope+on", "proxy+on", "router", "tau",
                "ms@32", "ms@128", "ms@512");
        log(h);
        rows.add(0, h);
    }

    private void evaluate(String label, int depth, BertEncoder enc, MopeTokenizer tok, float[][] trRaw, List<Dataset.Example> tr,
            List<List<Dataset.Example>> te, List<float[][]> teRaw, double[] ms, Consumer<String> quiet) {
        MopeModel.EncoderConfig ec = MopeModel.EncoderConfig.of(enc, depth, tok, null);
        int[] tokens = tr.stream().mapToInt(Dataset.Example::outputTokens).toArray();
        String[] groups = tr.stream().map(Dataset.Example::prompt).toArray(String[]::new);
        MopeTrainer.Trained t = MopeTrainer.train(ec, MopeModel.Routing.SOFT, trRaw, tokens, groups, buckets, 0.1,
                Mlp.Config.defaults(seed), null, quiet);
        List<Dataset.Example> val = new ArrayList<>();
        float[][] vraw = new float[t.validation().length][];
        for (int i = 0; i < vraw.length; i++) {
            val.add(tr.get(t.validation()[i]));
            vraw[i] = trRaw[t.validation()[i]];
        }
        row(label, "validation (" + train.getFileName() + ")", MopeEvaluator.evaluate(t.model(), val, vraw), ms);
        for (int k = 0; k < te.size(); k++) {
            row(label, tests.get(k).getFileName().toString(), MopeEvaluator.evaluate(t.model(), te.get(k), teRaw.get(k)), ms);
        }
    }

    private void row(String label, String test, MopeEvaluator.Report r, double[] ms) {
        String s = String.format(Locale.ROOT, "| %-26s | %-36s | %7.1f | %7.1f | %7.1f | %7.1f | %7.1f | %8.1f | %8.1f | %6.3f | %6.3f | %6.2f | %6.2f | %6.2f |",
                label, test, r.get("mope").meanL1(), r.get("mope-hard").meanL1(), r.get("single-proxy").meanL1(), r.get("moving-average").meanL1(),
                r.get("train-median").meanL1(), r.get("mope+online").meanL1(), r.get("proxy+online").meanL1(),
                r.routerAccuracy(), r.get("mope").kendallTau(), ms[0], ms[1], ms[2]);
        rows.add(s);
        log(s);
    }

    /** Median encoder milliseconds (tokenize + encode) at 32, 128 and 512 tokens for one depth. */
    private double[] timing(BertEncoder enc, MopeTokenizer tok, int depth) {
        int[] lengths = {32, 128, 512};
        double[] out = new double[3];
        for (int k = 0; k < 3; k++) {
            String text = MopeCommand.promptOfTokens(lengths[k]);
            long[] ns = new long[timingRuns];
            for (int i = -3; i < timingRuns; i++) {
                long t0 = System.nanoTime();
                enc.embed(tok.tokenize(text).ids(), depth);
                if (i >= 0) {
                    ns[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(ns);
            out[k] = ns[timingRuns / 2] / 1e6;
        }
        return out;
    }

    private void fineTune(BertEncoder enc, MopeTokenizer tok, Featurizer f, List<Dataset.Example> tr, float[][][] trEmb,
            List<List<Dataset.Example>> te, List<float[][][]> teEmb, Consumer<String> quiet) {
        // a subset (fine-tuning is ~100x the cost of embedding), split by prompt like the trainer does
        List<Dataset.Example> sub = tr.size() <= finetuneLimit ? tr : Dataset.sample(tr, finetuneLimit, seed);
        float[][][] subEmb = new float[sub.size()][][];
        for (int i = 0, j = 0; i < tr.size() && j < sub.size(); i++) {
            if (tr.get(i) == sub.get(j)) {
                subEmb[j++] = trEmb[i];
            }
        }
        int full = enc.layers();
        double[] fullMs = timing(enc, tok, full);
        evaluate("depth " + full + " frozen, " + sub.size() + " ex", full, enc, tok, f.features(sub, subEmb, full), sub, te,
                teEmb.stream().map(e -> f.features(teOf(te, teEmb, e), e, full)).toList(), fullMs, quiet);
        List<int[]> ids = new ArrayList<>();
        List<int[]> vIds = new ArrayList<>();
        List<Float> y = new ArrayList<>();
        List<Float> vy = new ArrayList<>();
        for (Dataset.Example e : sub) {
            int[] x = tok.encode(e.prompt());
            boolean validation = Math.floorMod(e.prompt().hashCode() * 31 + seed, 10) == 0;
            (validation ? vIds : ids).add(x.length > 128 ? Arrays.copyOf(x, 128) : x);
            (validation ? vy : y).add((float) Math.log(e.outputTokens()));
        }
        TopLayerTuner.Config c = new TopLayerTuner.Config(finetune, finetuneEpochs, 2, 16, 2e-5, 1e-3, seed);
        try (TopLayerTuner tuner = TopLayerTuner.train(enc, ids, toArray(y), vIds, toArray(vy), c, this::log)) {
            float[][] subRaw = tuned(tuner, tok, sub);
            List<float[][]> teRaw = new ArrayList<>();
            for (List<Dataset.Example> d : te) {
                teRaw.add(tuned(tuner, tok, d));
            }
            evaluate("top " + finetune + " tuned, " + sub.size() + " ex", full, enc, tok, subRaw, sub, te, teRaw, fullMs, quiet);
        }
    }

    private static float[][] tuned(TopLayerTuner tuner, MopeTokenizer tok, List<Dataset.Example> data) {
        float[][] out = new float[data.size()][];
        java.util.Map<String, float[]> memo = new java.util.HashMap<>();
        for (int i = 0; i < out.length; i++) {
            Dataset.Example e = data.get(i);
            float[] emb = memo.computeIfAbsent(e.prompt(), p -> MopeModel.normalise(tuner.embed(tok.encode(p))));
            out[i] = MopeModel.rawFeatures(emb, Featurizer.promptTokens(tok, e.prompt()), LengthRules.analyse(e.prompt()));
        }
        return out;
    }

    private static float[] toArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}

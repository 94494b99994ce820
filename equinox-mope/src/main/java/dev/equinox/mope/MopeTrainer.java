package dev.equinox.mope;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains a {@link MopeModel} from raw feature rows and output lengths: bucket boundaries at the training set's
 * (k/K)-quantiles of output length, a stratified (by bucket, keeping each prompt's examples together)
 * train/validation split, then the router
 * (cross-entropy over buckets), one expert per bucket on that bucket's examples only, and the single-proxy
 * baseline on all of them (both L1 on log tokens), each with early stopping on its validation set.
 */
final class MopeTrainer {
    private MopeTrainer() {
    }

    /** Result: the model and the indices held out for validation. */
    record Trained(MopeModel model, int[] validation) {
    }

    static int[] quantileBoundaries(int[] tokens, int buckets) {
        int[] s = tokens.clone();
        Arrays.sort(s);
        int[] b = new int[buckets - 1];
        for (int k = 1; k < buckets; k++) {
            b[k - 1] = s[(int) Math.floor((double) k / buckets * (s.length - 1))];
        }
        return b;
    }

    /**
     * Trains a model.
     *
     * @param groups examples with the same group (the prompt) go to the same side of the train/validation split,
     *               so a prompt answered by many models cannot leak into validation; null: every example alone
     * @param config the networks' settings; its seed also draws the split (the router gets it, expert b
     *               seed + 1 + b, the proxy seed + 100)
     */
    static Trained train(MopeModel.EncoderConfig encoder, MopeModel.Routing routing, float[][] raw, int[] tokens, String[] groups, int buckets,
            double validationShare, Mlp.Config config, ObjectNode extraInfo, Consumer<String> log) {
        if (raw.length != tokens.length || raw.length < buckets * 10) {
            throw new MopeException("need at least " + buckets * 10 + " training examples, got " + raw.length);
        }
        int n = raw.length;
        int dim = raw[0].length;
        int[] bounds = quantileBoundaries(tokens, buckets);
        // features standardised with training statistics (computed on all rows: no labels involved)
        float[] mean = new float[dim];
        float[] std = new float[dim];
        for (float[] r : raw) {
            for (int i = 0; i < dim; i++) {
                mean[i] += r[i];
            }
        }
        for (int i = 0; i < dim; i++) {
            mean[i] /= n;
        }
        for (float[] r : raw) {
            for (int i = 0; i < dim; i++) {
                double d = r[i] - mean[i];
                std[i] += (float) (d * d);
            }
        }
        for (int i = 0; i < dim; i++) {
            std[i] = (float) Math.max(1e-3, Math.sqrt(std[i] / n));
        }
        MopeModel shell = new MopeModel(encoder, routing, bounds, mean, std, new Mlp(dim, 1, buckets, Mlp.Loss.CROSS_ENTROPY, 0),
                blank(dim, buckets), new Mlp(dim, 1, 1, Mlp.Loss.L1, 0), 1, null);
        float[][] x = new float[n][];
        int[] bucket = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = shell.standardise(raw[i]);
            bucket[i] = shell.bucketOf(tokens[i]);
        }
        // stratified split over groups: a group's stratum is the bucket of its median length
        Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byGroup.computeIfAbsent(groups == null ? Integer.toString(i) : groups[i], g -> new ArrayList<>()).add(i);
        }
        List<List<List<Integer>>> strata = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            strata.add(new ArrayList<>());
        }
        for (List<Integer> g : byGroup.values()) {
            int[] t = g.stream().mapToInt(i -> tokens[i]).sorted().toArray();
            strata.get(shell.bucketOf(t[t.length / 2])).add(g);
        }
        SplittableRandom rnd = new SplittableRandom(config.seed());
        List<Integer> train = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (List<List<Integer>> stratum : strata) {
            for (int i = stratum.size() - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                List<Integer> t = stratum.get(i);
                stratum.set(i, stratum.get(j));
                stratum.set(j, t);
            }
            int nv = (int) Math.round(stratum.size() * validationShare);
            for (int k = 0; k < stratum.size(); k++) {
                (k < nv ? val : train).addAll(stratum.get(k));
            }
        }
        train.sort(null);
        val.sort(null);
        int[] counts = new int[buckets];
        for (int b : bucket) {
            counts[b]++;
        }
        log.accept("buckets (output tokens): boundaries " + Arrays.toString(bounds) + ", examples per bucket "
                + Arrays.toString(counts) + "; " + train.size() + " train / " + val.size() + " validation");

        Mlp router = Mlp.train(rows(x, train), classes(bucket, train), rows(x, val), classes(bucket, val), buckets,
                Mlp.Loss.CROSS_ENTROPY, config, "router", log);
        Mlp[] experts = new Mlp[buckets];
        for (int b = 0; b < buckets; b++) {
            List<Integer> tb = only(train, bucket, b);
            List<Integer> vb = only(val, bucket, b);
            Mlp.Config cb = new Mlp.Config(config.hidden(), config.maxEpochs(), config.patience(), config.batch(),
                    config.lr(), config.weightDecay(), config.seed() + 1 + b);
            experts[b] = Mlp.train(rows(x, tb), logs(tokens, tb), rows(x, vb), logs(tokens, vb), 1, Mlp.Loss.L1, cb,
                    "expert " + b, log);
        }
        Mlp.Config cp = new Mlp.Config(config.hidden(), config.maxEpochs(), config.patience(), config.batch(),
                config.lr(), config.weightDecay(), config.seed() + 100);
        Mlp proxy = Mlp.train(rows(x, train), logs(tokens, train), rows(x, val), logs(tokens, val), 1, Mlp.Loss.L1, cp,
                "single proxy", log);
        int[] trainTokens = train.stream().mapToInt(i -> tokens[i]).sorted().toArray();
        int median = trainTokens[trainTokens.length / 2];
        ObjectNode info = extraInfo != null ? extraInfo : new ObjectMapper().createObjectNode();
        info.put("examples", n);
        info.put("train", train.size());
        info.put("validation", val.size());
        info.put("seed", config.seed());
        info.put("hidden", config.hidden());
        MopeModel model = new MopeModel(encoder, routing, bounds, mean, std, router, experts, proxy, median, info);
        return new Trained(model, val.stream().mapToInt(Integer::intValue).toArray());
    }

    private static Mlp[] blank(int dim, int k) {
        Mlp[] m = new Mlp[k];
        for (int i = 0; i < k; i++) {
            m[i] = new Mlp(dim, 1, 1, Mlp.Loss.L1, 0);
        }
        return m;
    }

    private static List<Integer> only(List<Integer> idx, int[] bucket, int b) {
        List<Integer> o = new ArrayList<>();
        for (int i : idx) {
            if (bucket[i] == b) {
                o.add(i);
            }
        }
        return o;
    }

    private static float[][] rows(float[][] x, List<Integer> idx) {
        float[][] o = new float[idx.size()][];
        for (int i = 0; i < o.length; i++) {
            o[i] = x[idx.get(i)];
        }
        return o;
    }

    private static float[] classes(int[] bucket, List<Integer> idx) {
        float[] o = new float[idx.size()];
        for (int i = 0; i < o.length; i++) {
            o[i] = bucket[idx.get(i)];
        }
        return o;
    }

    private static float[] logs(int[] tokens, List<Integer> idx) {
        float[] o = new float[idx.size()];
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) Math.log(tokens[idx.get(i)]);
        }
        return o;
    }
}

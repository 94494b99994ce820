package dev.equinox.mope;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Turns examples into raw feature vectors ({@link MopeModel#rawFeatures}) for one encoder depth, embedding each
 * distinct prompt once and keeping the embeddings in an {@link EmbeddingCache}, so a second run embeds nothing.
 * Two layouts: {@link #features(List, int, Path, Consumer)} encodes only up to the depth asked for and caches that
 * depth (training and evaluation); {@link #embeddings} encodes every depth in one pass and caches them all (the
 * depth study). Prints progress.
 */
final class Featurizer {
    private final MopeTokenizer tokenizer;
    private final BertEncoder encoder;

    Featurizer(MopeTokenizer tokenizer, BertEncoder encoder) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    /**
     * The default cache file for an encoder and input length:
     * {@code $java.io.tmpdir/equinox-mope-cache/<encoder>-<maxTokens>.emb}.
     */
    static Path defaultCache(BertEncoder encoder, int maxTokens) {
        String name = encoder.source().replaceAll("[^A-Za-z0-9._-]", "_");
        if (name.length() > 80) {
            name = name.substring(name.length() - 80);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "equinox-mope-cache",
                name + "-" + encoder.layers() + "x" + encoder.hidden() + "-" + maxTokens + ".emb");
    }

    /** Normalised embeddings at every depth (row-major [depth][hidden]) for each example, cached. */
    float[][][] embeddings(List<Dataset.Example> data, Path cacheFile, Consumer<String> log) {
        int depths = encoder.layers() + 1;
        int hidden = encoder.hidden();
        float[][][] out = new float[data.size()][][];
        try (EmbeddingCache cache = new EmbeddingCache(cacheFile, depths * hidden)) {
            int computed = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < data.size(); i++) {
                int[] ids = tokenizer.encode(data.get(i).prompt());
                float[] flat = cache.get(ids);
                if (flat == null) {
                    float[][] all = encoder.embedAllDepths(ids);
                    flat = new float[depths * hidden];
                    for (int d = 0; d < depths; d++) {
                        System.arraycopy(MopeModel.normalise(all[d]), 0, flat, d * hidden, hidden);
                    }
                    cache.put(ids, flat);
                    computed++;
                    if (computed % 500 == 0) {
                        double s = (System.nanoTime() - t0) / 1e9;
                        log.accept(String.format(Locale.ROOT, "  embedded %d new prompts (%d/%d examples, %.1f ms/prompt)",
                                computed, i + 1, data.size(), 1000 * s / computed));
                    }
                }
                float[][] byDepth = new float[depths][];
                for (int d = 0; d < depths; d++) {
                    byDepth[d] = Arrays.copyOfRange(flat, d * hidden, (d + 1) * hidden);
                }
                out[i] = byDepth;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format(Locale.ROOT, "embeddings: %d examples, %d prompts embedded now, %d from the cache (%s), %.1f s",
                    data.size(), computed, data.size() - computed, cacheFile, s));
        }
        return out;
    }

    /**
     * Raw feature rows at one depth, one per example; embeddings are cached in {@code cacheFile} with
     * {@code -d<depth>} added before its extension.
     */
    float[][] features(List<Dataset.Example> data, int depth, Path cacheFile, Consumer<String> log) {
        String name = cacheFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path file = cacheFile.resolveSibling(dot > 0 ? name.substring(0, dot) + "-d" + depth + name.substring(dot) : name + "-d" + depth);
        float[][][] emb = new float[data.size()][][];
        try (EmbeddingCache cache = new EmbeddingCache(file, encoder.hidden())) {
            int computed = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < data.size(); i++) {
                int[] ids = tokenizer.encode(data.get(i).prompt());
                float[] v = cache.get(ids);
                if (v == null) {
                    v = MopeModel.normalise(encoder.embed(ids, depth));
                    cache.put(ids, v);
                    computed++;
                    if (computed % 2000 == 0) {
                        log.accept(String.format(Locale.ROOT, "  embedded %d new prompts at depth %d (%d/%d examples)", computed, depth,
                                i + 1, data.size()));
                    }
                }
                emb[i] = new float[depth + 1][];
                emb[i][depth] = v;
            }
            log.accept(String.format(Locale.ROOT, "embeddings at depth %d: %d examples, %d prompts embedded now, %d from the cache (%s), %.1f s",
                    depth, data.size(), computed, data.size() - computed, file, (System.nanoTime() - t0) / 1e9));
        }
        return features(data, emb, depth);
    }

    /** Raw feature rows at one depth from precomputed {@link #embeddings}. */
    float[][] features(List<Dataset.Example> data, float[][][] embeddings, int depth) {
        float[][] out = new float[data.size()][];
        for (int i = 0; i < out.length; i++) {
            Dataset.Example e = data.get(i);
            out[i] = MopeModel.rawFeatures(embeddings[i][depth], promptTokens(tokenizer, e.prompt()), LengthRules.analyse(e.prompt()));
        }
        return out;
    }

    /** The prompt length feature: tokens of the (cut) prompt, without special tokens. */
    static int promptTokens(MopeTokenizer tokenizer, String prompt) {
        return tokenizer.tokenize(prompt).count();
    }
}

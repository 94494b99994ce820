package dev.equinox.mope;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns examples into frozen-encoder embeddings (L2-normalised) and raw feature vectors, embedding each distinct
 * prompt once and keeping the results in an {@link EmbeddingCache}. Prints progress.
 */
final class Featurizer {
    private final MopeTokenizer tokenizer;
    private final BertEncoder encoder;

    Featurizer(MopeTokenizer tokenizer, BertEncoder encoder) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    /** The default cache file: {@code $java.io.tmpdir/equinox-mope-cache/minilm-512.emb}. */
    static Path defaultCache() {
        return Path.of(System.getProperty("java.io.tmpdir"), "equinox-mope-cache", "minilm-512.emb");
    }

    /** Raw feature rows, one per example. */
    float[][] features(List<Dataset.Example> data, Path cacheFile, Consumer<String> log) {
        float[][] out = new float[data.size()][];
        try (EmbeddingCache cache = new EmbeddingCache(cacheFile, encoder.hidden())) {
            int computed = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < data.size(); i++) {
                Dataset.Example e = data.get(i);
                int[] ids = tokenizer.encode(e.prompt());
                float[] emb = cache.get(ids);
                if (emb == null) {
                    emb = MopeModel.normalise(encoder.embed(ids));
                    cache.put(ids, emb);
                    computed++;
                    if (computed % 200 == 0) {
                        double s = (System.nanoTime() - t0) / 1e9;
                        log.accept(String.format("  embedded %d new prompts (%d/%d examples, %.1f ms/prompt)", computed,
                                i + 1, data.size(), 1000 * s / computed));
                    }
                }
                int promptTokens = tokenizer.count(MopeTokenizer.cut(e.prompt(), 4096));
                out[i] = MopeModel.rawFeatures(emb, promptTokens, LengthRules.analyse(e.prompt()));
            }
            double s = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("features: %d examples, %d prompts embedded now, %d from the cache (%s), %.1f s",
                    data.size(), computed, data.size() - computed, cacheFile, s));
        }
        return out;
    }
}

package dev.equinox.mope;

import dev.equinox.spi.Predictor;
import dev.equinox.spi.PredictorProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Registers MoPE as predictor "mope" (found by {@link java.util.ServiceLoader}). Options: {@code model} (a
 * directory written by {@code mope train}; default: the bundled model), {@code encoder} (a BERT-family ONNX file
 * or {@code classpath:NAME}; default: the one the model was trained with) and {@code tokenizer} (a
 * tokenizer.json or {@code classpath:NAME}; default: the model's). Unknown keys throw
 * {@link IllegalArgumentException}.
 */
public final class MopePredictorProvider implements PredictorProvider {
    private static final Set<String> KEYS = Set.of("model", "tokenizer", "encoder");

    /** Used by {@link java.util.ServiceLoader}. */
    public MopePredictorProvider() {
    }

    @Override
    public String name() {
        return "mope";
    }

    /**
     * Loads a MoPE predictor.
     *
     * @throws IllegalArgumentException for an unknown option key
     * @throws MopeException            when the model or engine cannot be loaded
     */
    @Override
    public Predictor create(Map<String, String> options) {
        for (String k : options.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown mope option '" + k + "' (known: model, encoder, tokenizer)");
            }
        }
        String model = options.get("model");
        return Mope.load(model == null || model.isBlank() ? null : Path.of(model), blankToNull(options.get("encoder")),
                blankToNull(options.get("tokenizer")), null);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}

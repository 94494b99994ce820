package dev.equinox.mope;

import java.nio.file.Files;
import java.nio.file.Path;

/** One bundled model (and so one MiniLM encoder) for all tests of the JVM: loading takes seconds. */
final class SharedModels {
    private static Mope defaultModel;

    private SharedModels() {
    }

    static synchronized Mope defaultModel() {
        if (defaultModel == null) {
            defaultModel = Mope.loadDefault();
        }
        return defaultModel;
    }

    static BertEncoder encoder() {
        return defaultModel().encoder();
    }

    static MopeTokenizer tokenizer() {
        return defaultModel().tokenizer();
    }

    /** {@code shared/data} next to the repository root (../shared/data), or null when absent. */
    static Path sharedData() {
        Path p = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && p != null; i++, p = p.getParent()) {
            Path d = p.resolve("shared").resolve("data");
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        return null;
    }
}

package dev.equinox.bench.workload;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of test fixtures and of the shared data directory. */
public final class Fixtures {
    private Fixtures() {
    }

    public static String path(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/workloads/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** /work/shared/data (../shared/data from the repository root), or null when absent. */
    public static Path sharedData() {
        for (String p : new String[] {"../../shared/data", "../shared/data", "/work/shared/data"}) {
            Path d = Path.of(p);
            if (Files.isDirectory(d)) {
                return d.toAbsolutePath().normalize();
            }
        }
        return null;
    }
}

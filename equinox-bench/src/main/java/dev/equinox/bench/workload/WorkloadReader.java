package dev.equinox.bench.workload;

import java.io.IOException;

/**
 * Reads or generates a {@link Workload} from a {@link WorkloadSpec}; registered by name in {@link Workloads}
 * (the {@code format} part of a {@code format:location?key=value} spec).
 */
public interface WorkloadReader {
    /** The format name ("csv", "azure", "mooncake", "servegen", "vtc"). */
    String name();

    /** One line for {@code --help}: what the location is and which keys are understood. */
    String usage();

    /**
     * Reads the workload.
     *
     * @throws WorkloadFormatException for a malformed file (file, line and field named)
     * @throws IOException             when the file cannot be read
     * @throws IllegalArgumentException for an unknown key or a bad value in the spec
     */
    Workload read(WorkloadSpec spec) throws IOException;
}

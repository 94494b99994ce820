package dev.equinox.bench.report;

import java.io.IOException;

/** Writes a {@link Comparison} somewhere (stdout table, CSV, per-request CSV, HTML). One method, as Caffeine's simulator reporters. */
@FunctionalInterface
public interface Reporter {
    void write(Comparison comparison) throws IOException;
}

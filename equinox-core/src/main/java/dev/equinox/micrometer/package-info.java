/**
 * Micrometer binding. Entry point: {@link dev.equinox.micrometer.EquinoxMetrics}, a pull-based
 * {@link io.micrometer.core.instrument.binder.MeterBinder} that publishes a scheduler's counts, latency
 * distributions and live fairness (from {@link dev.equinox.metrics.FairnessTracker}) under vLLM's metric names
 * with an {@code equinox.} prefix.
 *
 * <p>Micrometer is an optional dependency of {@code dev.equinox.core} ({@code requires static}): this package is
 * the only one that links it, and only an application that uses it needs {@code micrometer-core} at run time.
 * The metric list, with types, units and tags, is in {@code docs/metrics.md}.
 */
package dev.equinox.micrometer;

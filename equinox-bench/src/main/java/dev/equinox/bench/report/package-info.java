/**
 * Summaries and reporters of simulation runs. Entry point: {@link dev.equinox.bench.report.Comparison#of}, then any
 * {@link dev.equinox.bench.report.Reporter}: {@link dev.equinox.bench.report.TableReporter},
 * {@link dev.equinox.bench.report.CsvReporter}, {@link dev.equinox.bench.report.RequestCsvReporter},
 * {@link dev.equinox.bench.report.HtmlReporter}, {@link dev.equinox.bench.report.MarkdownReporter} (the tables of
 * {@code docs/results.md}). {@link dev.equinox.bench.report.PolicyRatio} divides one policy's numbers by another's
 * (Equinox / VTC). Fairness numbers come from {@code dev.equinox.metrics}.
 */
package dev.equinox.bench.report;

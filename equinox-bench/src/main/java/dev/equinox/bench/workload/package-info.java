/**
 * Workloads to replay: readers per trace format registered by name, and generators. Entry point:
 * {@link dev.equinox.bench.workload.Workloads#load(String, long)} with a spec {@code format:location?key=value}
 * ({@link dev.equinox.bench.workload.WorkloadSpec}). Formats: {@code csv}, {@code azure}, {@code mooncake},
 * {@code servegen}, {@code vtc} (VTC's synthetic suites), {@code prompts} (prompt/response JSONL with prompt text) and
 * {@code default} (bundled). Malformed files raise
 * {@link dev.equinox.bench.workload.WorkloadFormatException} naming the file, line and field.
 */
package dev.equinox.bench.workload;

/**
 * Fairness metrics with VTC's definitions (Sheng et al., OSDI 2024): service, demand, the capped service difference,
 * the accumulated service difference and Jain's index over demand-normalised service.
 *
 * <p>Entry points: {@link dev.equinox.metrics.FairnessMetrics#compute} for a finished run (offline, from
 * {@link dev.equinox.metrics.FairnessRecord}s, sampled at ticks as VTC's artifact does), and
 * {@link dev.equinox.metrics.FairnessTracker} for a running scheduler (online: a listener with ring buffers over a
 * sliding window, read from any thread as a {@link dev.equinox.metrics.FairnessSnapshot}). Both share the
 * definitions in {@link dev.equinox.metrics.FairnessMetrics}.
 */
package dev.equinox.metrics;

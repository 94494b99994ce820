package dev.equinox.metrics;

/**
 * The fairness of one run, sampled at ticks as {@link FairnessMetrics#compute} describes. Arrays are indexed
 * {@code [tenant][tick]} with tenants in {@link #tenants()} order (sorted ids). Arrays are shared, not copied:
 * treat them as read-only.
 *
 * @param tenants            tenant ids, sorted
 * @param ticks              tick times x_i (seconds)
 * @param serviceRate        windowed service per second (weighted by 1/w), per tenant and tick
 * @param demandRate         windowed demand per second (weighted by 1/w), per tenant and tick
 * @param accumulatedService service over [warmup, x_i + warmup] (weighted by 1/w), per tenant and tick
 * @param serviceDifference  VTC's capped service difference per tick
 * @param accumulatedDifference max - min over tenants of the accumulated service, per tick
 * @param jain               Jain's index over demand-normalised service per tick (NaN where fewer than two
 *                           tenants were backlogged)
 * @param maxServiceDifference max over ticks of the service difference
 * @param avgServiceDifference mean over ticks
 * @param varServiceDifference population variance over ticks
 * @param maxAccumulatedDifference max over ticks of the accumulated difference
 * @param meanJain           mean of the defined per-tick Jain values (NaN if none)
 */
public record FairnessReport(String[] tenants, double[] ticks, double[][] serviceRate, double[][] demandRate,
        double[][] accumulatedService, double[] serviceDifference, double[] accumulatedDifference, double[] jain,
        double maxServiceDifference, double avgServiceDifference, double varServiceDifference,
        double maxAccumulatedDifference, double meanJain) {

    /** One-line summary for logs. */
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "FairnessReport[tenants=%d, ticks=%d, serviceDiff max/avg/var=%.2f/%.2f/%.2f, accDiff max=%.1f, jain=%.4f]",
                tenants.length, ticks.length, maxServiceDifference, avgServiceDifference, varServiceDifference,
                maxAccumulatedDifference, meanJain);
    }
}

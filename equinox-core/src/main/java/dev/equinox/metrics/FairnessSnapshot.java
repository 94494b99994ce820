package dev.equinox.metrics;

/**
 * The live fairness of a running scheduler at one instant, as {@link FairnessTracker#snapshot()} computes it over
 * the sliding window {@code [windowStartNanos, atNanos]}. Per-tenant arrays are indexed by the scheduler's dense
 * tenant index ({@link dev.equinox.RequestHandle#tenantIndex()}); an index the tracker has not seen yet has a null
 * id and zero values and takes no part in the aggregates. Arrays are shared, not copied: treat them as read-only.
 *
 * <p>Units are VTC's token cost ({@code w_p * prompt + w_q * output} tokens) divided by the tenant's weight; rates
 * are per second of {@link dev.equinox.Ticker} time.
 *
 * @param atNanos                      ticker time of the snapshot
 * @param windowStartNanos             start of the window (a bucket boundary, or the first event if later)
 * @param tenants                      tenant ids by index (null where unseen)
 * @param weights                      tenant weights by index
 * @param service                      cumulative service since the tracker started, by index
 * @param serviceRate                  windowed service per second, by index
 * @param demandRate                   windowed demand (cost of the requests that arrived) per second, by index
 * @param backlogged                   whether the tenant had a request waiting for its first token at some
 *                                     instant of the window, by index
 * @param serviceDifference            VTC's capped service difference over the window
 *                                     ({@link FairnessMetrics#serviceDifference})
 * @param accumulatedServiceDifference max - min over the seen tenants of the cumulative service
 * @param jain                         Jain's index over demand-normalised service of the backlogged tenants
 *                                     ({@link FairnessMetrics#demandNormalisedJain}); NaN with fewer than two
 *                                     backlogged tenants, no service, or no submissions fed to the tracker
 */
public record FairnessSnapshot(long atNanos, long windowStartNanos, String[] tenants, double[] weights,
        double[] service, double[] serviceRate, double[] demandRate, boolean[] backlogged, double serviceDifference,
        double accumulatedServiceDifference, double jain) {

    /** Length of the window in seconds (0 before the first event). */
    public double windowSeconds() {
        return Math.max(0, atNanos - windowStartNanos) / 1e9;
    }

    /** The index of a tenant id, or -1 when the tracker has not seen it. Linear in the tenant count. */
    public int indexOf(String tenant) {
        for (int i = 0; i < tenants.length; i++) {
            if (tenant.equals(tenants[i])) {
                return i;
            }
        }
        return -1;
    }

    /** One-line summary for logs. */
    @Override
    public String toString() {
        int seen = 0;
        for (String t : tenants) {
            if (t != null) {
                seen++;
            }
        }
        return String.format(java.util.Locale.ROOT,
                "FairnessSnapshot[tenants=%d, window=%.1fs, serviceDiff=%.2f, accDiff=%.1f, jain=%.4f]", seen,
                windowSeconds(), serviceDifference, accumulatedServiceDifference, jain);
    }
}

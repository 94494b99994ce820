package dev.equinox.micrometer;

import dev.equinox.Batch;
import dev.equinox.RequestHandle;
import dev.equinox.RequestListener;
import dev.equinox.RequestResult;
import dev.equinox.RequestStatus;
import dev.equinox.internal.LongLongMap;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The listener behind {@link EquinoxMetrics}: counts requests by finish reason, registers per-tenant meters when
 * a tenant first appears, and records the distributions into the meters created by
 * {@link EquinoxMetrics#bindTo}. Engine thread.
 *
 * <p>Inter-token latency is per token, as vLLM measures it: for every token a step produces, the time since the
 * same request's previous token. The previous token's time lives in {@link LongLongMap} (request id to nanos), so
 * a step does O(batch) primitive work and allocates nothing once the map has grown to the running set. A request
 * that ends in a step leaves the map after that step's {@link #onStep} (its last token is still measured), one
 * that ends outside a step (a cancel) at the next step.
 */
final class Recorder implements RequestListener {
    private final EquinoxMetrics metrics;
    final LongLongMap lastToken = new LongLongMap(256); // package-private: RecorderTest checks it is emptied
    private long[] ended = new long[64];
    private int endedCount;

    Recorder(EquinoxMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void onAdmitted(RequestHandle r, long stepId) {
        if (metrics.maxTenantTags() > 0) {
            metrics.seeTenant(r.tenantIndex(), r.tenant());
        }
    }

    @Override
    public void onFirstToken(RequestHandle r) {
        EquinoxMetrics.Meters m = metrics.meters;
        if (m != null) {
            m.ttft.record(r.firstTokenAtNanos() - r.queuedAtNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onStep(Batch b, long durationNanos, double gpuUtilization) {
        EquinoxMetrics.Meters m = metrics.meters;
        if (m == null) {
            endedCount = 0; // nothing is in the map before the meters exist
            return;
        }
        long now = metrics.ticker().read();
        for (int i = 0, n = b.size(); i < n; i++) {
            if (b.produced(i) > 0) {
                long id = b.requestId(i);
                long last = lastToken.get(id);
                if (last != LongLongMap.ABSENT) {
                    m.itl.record(now - last, TimeUnit.NANOSECONDS);
                }
                lastToken.put(id, now);
            }
        }
        for (int i = 0; i < endedCount; i++) {
            lastToken.remove(ended[i]);
        }
        endedCount = 0;
        m.step.record(durationNanos, TimeUnit.NANOSECONDS);
        m.iterationTokens.record(b.totalTokens());
    }

    @Override
    public void onTerminal(RequestHandle r, RequestResult result) {
        RequestStatus status = r.status();
        metrics.countFinish(status, result == null ? null : result.finishReason());
        if (metrics.maxTenantTags() > 0) {
            metrics.seeTenant(r.tenantIndex(), r.tenant());
        }
        if (r.firstTokenAtNanos() >= 0) {
            // its last token's time may be in the map (or be put there by this step's onStep, whatever the meters
            // were when it ended): removed at the end of the step
            if (endedCount == ended.length) {
                ended = Arrays.copyOf(ended, endedCount * 2);
            }
            ended[endedCount++] = r.id();
        }
        EquinoxMetrics.Meters m = metrics.meters;
        if (m == null) {
            return;
        }
        if (status == RequestStatus.FINISHED) {
            long queued = r.queuedAtNanos();
            long scheduled = r.firstScheduledAtNanos();
            long first = r.firstTokenAtNanos();
            long done = r.finishedAtNanos();
            m.e2e.record(done - queued, TimeUnit.NANOSECONDS);
            if (scheduled >= 0) {
                m.queue.record(scheduled - queued, TimeUnit.NANOSECONDS);
            }
            if (first >= 0) {
                if (scheduled >= 0) {
                    m.prefill.record(first - scheduled, TimeUnit.NANOSECONDS);
                }
                m.decode.record(done - first, TimeUnit.NANOSECONDS);
            }
        }
    }
}

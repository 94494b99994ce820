package dev.equinox.micrometer;

import dev.equinox.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.Scheduler;
import dev.equinox.metrics.ScriptedEngine;
import dev.equinox.metrics.ScriptedEngine.Arrival;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecorderTest {

    @Test
    void onStep_steadyStateWithPrometheus_allocatesNothing() {
        Allocations alloc = Allocations.ofCurrentThread();
        ScriptedEngine e = new ScriptedEngine(0.01, 0);
        Scheduler raw = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).build();
        metrics.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        List<Arrival> w = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            w.add(new Arrival(0, "t" + (i % 8), 32, 1_000_000, 200));
        }
        e.drive(metrics.scheduler(), w, h -> { }).runUntil(1.0);
        Batch b = metrics.scheduler().nextBatch();
        e.now += 10_000_000L;
        metrics.scheduler().complete(b, 10_000_000L, Double.NaN);
        assertEquals(64, b.decodeCount());
        Recorder r = new Recorder(metrics);
        for (int i = 0; i < 20_000; i++) {
            e.now += 10_000_000L;
            r.onStep(b, 10_000_000L, Double.NaN);
        }
        alloc.reset();
        for (int i = 0; i < 20_000; i++) {
            e.now += 10_000_000L;
            r.onStep(b, 10_000_000L, Double.NaN);
        }
        long allocated = alloc.bytes();
        assertTrue(allocated < 4096, allocated + " bytes allocated by 20,000 onStep calls recording 64 inter-token latencies each");
    }

    /**
     * The meters appear between a request's end and the step that produced its last token (a registry bound from
     * another thread in between): the request's entry in the last-token map is still removed at the end of the step.
     */
    @Test
    void metersBoundBetweenAnEndAndItsStep_lastTokenEntryStillRemoved() {
        ScriptedEngine e = new ScriptedEngine(0.01, 0);
        Scheduler raw = Equinox.builder().ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).build();
        Recorder r = new Recorder(metrics);
        dev.equinox.RequestHandle h = raw.submit(dev.equinox.RequestSpec.of("t", 4, 1)).orElseThrow();
        Batch b = raw.nextBatch();
        raw.complete(b, 1, Double.NaN); // the prefill's token is its only one: finished
        assertEquals(dev.equinox.RequestStatus.FINISHED, h.status());
        r.onTerminal(h, h.completion().join()); // no meters yet
        metrics.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        r.onStep(b, 1, Double.NaN); // the step that produced its token, seen with meters
        assertEquals(0, r.lastToken.size(), "the ended request's last-token time was kept");
    }
}

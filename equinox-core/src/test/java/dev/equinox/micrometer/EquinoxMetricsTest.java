package dev.equinox.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.RequestHandle;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.metrics.FairnessSnapshot;
import dev.equinox.metrics.ScriptedEngine;
import dev.equinox.metrics.ScriptedEngine.Arrival;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EquinoxMetricsTest {
    private static final double EPS = 1e-6;

    /** A scrape of a Prometheus text exposition: one sample per line, labels parsed. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace < 0 ? line.substring(0, space) : line.substring(0, brace);
            Map<String, String> labels = new HashMap<>();
            if (brace >= 0) {
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String kv : body.split(",")) {
                    int eq = kv.indexOf('=');
                    labels.put(kv.substring(0, eq), kv.substring(eq + 2, kv.length() - 1));
                }
            }
            String v = line.substring(space + 1);
            out.add(new Sample(name, labels, v.equals("NaN") ? Double.NaN : Double.parseDouble(v)));
        }
        return out;
    }

    /** The value of the one sample with this name whose labels include {@code kv} (pairs). */
    static double value(List<Sample> samples, String name, String... kv) {
        Sample found = null;
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < kv.length; i += 2) {
                match &= kv[i + 1].equals(s.labels().get(kv[i]));
            }
            if (match) {
                if (found != null) {
                    throw new AssertionError("several samples " + name + " " + List.of(kv));
                }
                found = s;
            }
        }
        if (found == null) {
            throw new AssertionError("no sample " + name + " " + List.of(kv));
        }
        return found.value();
    }

    static boolean has(List<Sample> samples, String name, String... kv) {
        for (Sample s : samples) {
            boolean match = s.name().equals(name);
            for (int i = 0; match && i < kv.length; i += 2) {
                match = kv[i + 1].equals(s.labels().get(kv[i]));
            }
            if (match) {
                return true;
            }
        }
        return false;
    }

    @Test
    void scrape_smallWorkloadOnVirtualTime_namesAndValuesMatchTheWorkload() {
        ScriptedEngine e = new ScriptedEngine(0.05, 0.0001);
        Scheduler raw = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).kvCache(96, 16).tokenBudget(256)
                .maxRunning(16).build();
        raw.registerTenant("t0", 1);
        raw.registerTenant("t1", 2);
        raw.registerTenant("t2", 1); // index 2: beyond the cap of 2 tenant tags, folds into "other"
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).tenantTags(2)
                .tags(Tags.of("engine", "test")).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        Scheduler s = metrics.scheduler();

        List<Arrival> workload = ScriptedEngine.randomWorkload(11, 80, 3, 8, 200, 60);
        e.drive(s, workload, h -> { });
        assertFalse(s.submit(RequestSpec.of("t0", 1600, 10)).accepted(), "prompt beyond the context limit");
        RequestHandle cancelled = e.submit(new Arrival(0, "t2", 50, 10, 10));
        assertTrue(cancelled.cancel());
        e.runToEnd();

        // what the workload did, computed from the workload and the handles' own timestamps
        long stop = 0;
        long length = 0;
        long prompt = 0;
        long generated = 0;
        double[] service = new double[3];
        for (Arrival a : workload) {
            boolean capped = a.output() > a.maxOutput();
            stop += capped ? 0 : 1;
            length += capped ? 1 : 0;
            int out = Math.min(a.output(), a.maxOutput());
            prompt += a.prompt();
            generated += out;
            int t = a.tenant().charAt(1) - '0';
            service[t] += (a.prompt() + 2.0 * out) / (t == 1 ? 2 : 1);
        }
        int n = workload.size();
        double ttft = 0;
        double e2e = 0;
        double queue = 0;
        double prefill = 0;
        double decode = 0;
        long preemptions = 0;
        for (RequestHandle h : e.handles) {
            if (h == cancelled) {
                continue;
            }
            ttft += (h.firstTokenAtNanos() - h.queuedAtNanos()) / 1e9;
            e2e += (h.finishedAtNanos() - h.queuedAtNanos()) / 1e9;
            queue += (h.firstScheduledAtNanos() - h.queuedAtNanos()) / 1e9;
            prefill += (h.firstTokenAtNanos() - h.firstScheduledAtNanos()) / 1e9;
            decode += (h.finishedAtNanos() - h.firstTokenAtNanos()) / 1e9;
            preemptions += h.preemptions();
        }

        String text = registry.scrape();
        List<Sample> m = parse(text);
        String eng = "engine";
        assertEquals(0, value(m, "equinox_num_requests_waiting", eng, "test"), text);
        assertEquals(0, value(m, "equinox_num_requests_running", eng, "test"));
        assertEquals(0, value(m, "equinox_kv_cache_usage_perc", eng, "test"));
        assertEquals(preemptions, value(m, "equinox_num_preemptions_total", eng, "test"));
        assertTrue(preemptions > 0, "the small KV cache forces preemptions, so the count is exercised");
        assertEquals(prompt, value(m, "equinox_prompt_tokens_total", eng, "test"));
        assertEquals(generated, value(m, "equinox_generation_tokens_total", eng, "test"));
        assertEquals(stop, value(m, "equinox_request_success_total", "finished_reason", "stop", eng, "test"));
        assertEquals(length, value(m, "equinox_request_success_total", "finished_reason", "length"));
        assertTrue(stop > 0 && length > 0, "both reasons occur in this workload");
        assertEquals(1, value(m, "equinox_request_success_total", "finished_reason", "abort"));
        assertEquals(0, value(m, "equinox_request_success_total", "finished_reason", "error"));
        assertEquals(1, value(m, "equinox_request_rejected_total"));

        assertEquals(n, value(m, "equinox_time_to_first_token_seconds_count", eng, "test"));
        assertEquals(ttft, value(m, "equinox_time_to_first_token_seconds_sum"), EPS);
        assertEquals(n, value(m, "equinox_e2e_request_latency_seconds_count"));
        assertEquals(e2e, value(m, "equinox_e2e_request_latency_seconds_sum"), EPS);
        assertEquals(queue, value(m, "equinox_request_queue_time_seconds_sum"), EPS);
        assertEquals(prefill, value(m, "equinox_request_prefill_time_seconds_sum"), EPS);
        assertEquals(decode, value(m, "equinox_request_decode_time_seconds_sum"), EPS);
        // every token after a request's first has one gap; per request the gaps add up to first token -> finish
        assertEquals(generated - n, value(m, "equinox_inter_token_latency_seconds_count"));
        assertEquals(decode, value(m, "equinox_inter_token_latency_seconds_sum"), EPS);
        assertEquals(n, value(m, "equinox_time_to_first_token_seconds_bucket", "le", "+Inf"), "histogram buckets");
        assertEquals(e.steps, value(m, "equinox_iteration_tokens_count"));
        assertEquals(e.iterationTokens, value(m, "equinox_iteration_tokens_sum"));
        assertEquals(e.steps, value(m, "equinox_step_duration_seconds_count"));
        assertEquals(e.busyNanos / 1e9, value(m, "equinox_step_duration_seconds_sum"), EPS);
        assertEquals(e.steps, value(m, "equinox_next_batch_duration_seconds_count"), "non-empty nextBatch() calls");
        assertTrue(value(m, "equinox_next_batch_duration_seconds_sum") > 0);

        // per tenant: t0 and t1 tagged, t2 folded into "other" (its cancelled request delivered nothing)
        assertEquals(service[0], value(m, "equinox_tenant_service_total", "tenant", "t0", eng, "test"), EPS);
        assertEquals(service[1], value(m, "equinox_tenant_service_total", "tenant", "t1"), EPS, "weight 2 halves it");
        assertEquals(service[2], value(m, "equinox_tenant_service_total", "tenant", "other"), EPS);
        assertFalse(has(m, "equinox_tenant_service_total", "tenant", "t2"));
        assertEquals(raw.tenantStats("t0").counter(), value(m, "equinox_tenant_counter", "tenant", "t0", "counter", "vtc"), EPS);
        assertEquals(raw.tenantStats("t1").counter(), value(m, "equinox_tenant_counter", "tenant", "t1", "counter", "vtc"), EPS);
        assertTrue(raw.tenantStats("t0").counter() > 0);
        assertFalse(has(m, "equinox_tenant_counter", "tenant", "other"), "counters do not add up: not folded");
        assertFalse(has(m, "equinox_tenant_counter", "counter", "rfc"), "VTC keeps no resource counter");

        FairnessSnapshot f = metrics.fairness().snapshot();
        assertEquals(f.serviceRate()[0], value(m, "equinox_tenant_service_rate", "tenant", "t0"), EPS);
        assertEquals(f.demandRate()[1], value(m, "equinox_tenant_demand_rate", "tenant", "t1"), EPS);
        assertTrue(f.demandRate()[0] > 0, "submissions through metrics.scheduler() feed the demand");
        assertEquals(f.serviceRate()[2], value(m, "equinox_tenant_service_rate", "tenant", "other"), EPS);
        assertEquals(f.serviceDifference(), value(m, "equinox_fairness_service_difference"), EPS);
        assertEquals(f.accumulatedServiceDifference(), value(m, "equinox_fairness_accumulated_service_difference"), EPS);
        double jain = value(m, "equinox_fairness_jain");
        assertTrue(Double.isNaN(f.jain()) ? Double.isNaN(jain) : Math.abs(f.jain() - jain) < EPS);
        assertEquals(Math.max(Math.max(service[0], service[1]), service[2])
                - Math.min(Math.min(service[0], service[1]), service[2]), f.accumulatedServiceDifference(), EPS);
    }

    @Test
    void scrape_equinoxPolicy_exportsUfcAndRfcPerTenant() {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().policy(Policies.equinox()).ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).tenantTags(8).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        e.drive(metrics.scheduler(), ScriptedEngine.randomWorkload(5, 40, 2, 10, 100, 40), h -> { }).runToEnd();
        List<Sample> m = parse(registry.scrape());
        for (String t : new String[] {"t0", "t1"}) {
            assertEquals(raw.tenantStats(t).counter(), value(m, "equinox_tenant_counter", "tenant", t, "counter", "ufc"), EPS);
            assertEquals(raw.tenantStats(t).resourceCounter(), value(m, "equinox_tenant_counter", "tenant", t, "counter", "rfc"), EPS);
            assertTrue(raw.tenantStats(t).resourceCounter() > 0);
        }
        assertFalse(has(m, "equinox_tenant_counter", "counter", "vtc"));
    }

    @Test
    void scrape_noTenantTags_noPerTenantMetersButGlobalFairness() {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        e.drive(metrics.scheduler(), ScriptedEngine.randomWorkload(3, 30, 3, 10, 100, 40), h -> { }).runToEnd();
        String text = registry.scrape();
        assertFalse(text.contains("equinox_tenant_"), text);
        assertTrue(text.contains("equinox_fairness_jain"));
        assertEquals(30, value(parse(text), "equinox_e2e_request_latency_seconds_count"));
    }

    @Test
    void builder_noTicker_readsTheSchedulersVirtualClock() {
        java.util.Map<String, Double> explicit = fairnessGauges(true);
        java.util.Map<String, Double> byDefault = fairnessGauges(false);
        assertEquals(explicit, byDefault, "the same virtual run seen through Scheduler.ticker() and through ticker(...)");
        assertEquals(3, explicit.size());
    }

    @Test
    void scheduler_decorator_forwardsTheTicker() {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().ticker(e.ticker).build();
        assertSame(e.ticker, raw.ticker());
        assertSame(e.ticker, EquinoxMetrics.builder(raw).build().scheduler().ticker());
    }

    /** The windowed fairness gauges after a fixed virtual-time run, the binder given the ticker or not. */
    private static java.util.Map<String, Double> fairnessGauges(boolean passTicker) {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        EquinoxMetrics.Builder b = EquinoxMetrics.builder(raw);
        EquinoxMetrics metrics = (passTicker ? b.ticker(e.ticker) : b).build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        e.drive(metrics.scheduler(), ScriptedEngine.randomWorkload(5, 20, 2, 10, 100, 40), h -> { }).runToEnd();
        List<Sample> m = parse(registry.scrape());
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        for (String k : java.util.List.of("equinox_fairness_service_difference", "equinox_fairness_jain",
                "equinox_fairness_accumulated_service_difference")) {
            out.put(k, value(m, k));
        }
        return out;
    }

    @Test
    void bindTo_afterRequestsRan_registersTenantsSeenBeforeAndCountsFromBuild() {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().policy(Policies.vtc()).ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).tenantTags(4).build();
        List<Arrival> w = ScriptedEngine.randomWorkload(9, 20, 2, 10, 50, 20);
        e.drive(metrics.scheduler(), w, h -> { }).runToEnd();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        assertEquals(20, registry.get("equinox.request.success").functionCounters().stream()
                .mapToDouble(c -> c.count()).sum(), EPS, "request outcomes are counted from build(), not bind");
        assertEquals(0, registry.get("equinox.time.to.first.token").timer().count(), "distributions start at bind");
        FairnessSnapshot f = metrics.fairness().snapshot();
        double s0 = f.service()[f.indexOf("t0")];
        assertTrue(s0 > 0);
        assertEquals(s0, registry.get("equinox.tenant.service").tag("tenant", "t0").functionCounter().count(), EPS);
    }

    @Test
    void scheduler_unbound_passesThroughAndFeedsDemand() {
        ScriptedEngine e = new ScriptedEngine(0.02, 0.0001);
        Scheduler raw = Equinox.builder().ticker(e.ticker).build();
        EquinoxMetrics metrics = EquinoxMetrics.builder(raw).ticker(e.ticker).build();
        assertNull(metrics.meters);
        e.drive(metrics.scheduler(), ScriptedEngine.randomWorkload(1, 10, 1, 10, 50, 20), h -> { }).runToEnd();
        assertEquals(10, raw.stats().finished());
        assertTrue(metrics.fairness().snapshot().demandRate()[0] > 0);
    }

    @Test
    void builder_settingTwiceOrBadValue_throws() {
        Scheduler raw = Equinox.builder().build();
        assertThrows(IllegalStateException.class, () -> EquinoxMetrics.builder(raw).tenantTags(1).tenantTags(2));
        assertThrows(IllegalStateException.class, () -> EquinoxMetrics.builder(raw).ticker(() -> 0).ticker(() -> 0));
        assertThrows(IllegalArgumentException.class, () -> EquinoxMetrics.builder(raw).tenantTags(-1));
        assertThrows(IllegalArgumentException.class,
                () -> EquinoxMetrics.builder(raw).fairness(dev.equinox.metrics.FairnessOptions.vtcArtifact(), 0));
        assertThrows(NullPointerException.class, () -> EquinoxMetrics.builder(null));
        for (String reserved : new String[] {"tenant", "counter", "finished_reason"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EquinoxMetrics.builder(raw).tags(io.micrometer.core.instrument.Tags.of(reserved, "x")));
            assertTrue(e.getMessage().contains(reserved), e.getMessage());
        }
        EquinoxMetrics.builder(raw).tags(io.micrometer.core.instrument.Tags.of("engine", "vllm")); // others are fine
        // token weights and the window are checked whichever way the options are made
        assertThrows(IllegalArgumentException.class, () -> new dev.equinox.metrics.FairnessOptions(1, 0, 60, -1, 2, 1, java.util.Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new dev.equinox.metrics.FairnessOptions(1, 0, 60, 1, Double.NaN, 1, java.util.Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new dev.equinox.metrics.FairnessOptions(1, 0, Double.POSITIVE_INFINITY, 1, 2, 1, java.util.Map.of()));
        assertThrows(IllegalArgumentException.class, () -> dev.equinox.metrics.FairnessOptions.vtcArtifact().withTokenWeights(0, 0));
        EquinoxMetrics metrics = EquinoxMetrics.of(raw);
        metrics.bindTo(new SimpleMeterRegistry());
        assertThrows(IllegalStateException.class, () -> metrics.bindTo(new SimpleMeterRegistry()));
    }

    @Test
    void counterKinds_byPolicyName_vtcUfcRfcOrNone() {
        assertEquals(List.of("vtc"), kinds("vtc"));
        assertEquals(List.of("vtc"), kinds("vtc-predict"));
        assertEquals(List.of("ufc", "rfc"), kinds("equinox"));
        assertEquals(List.of(), kinds("fcfs"));
        assertEquals(List.of(), kinds("priority"));
        assertEquals(List.of("user", "resource"), kinds("custom"));
    }

    private static List<String> kinds(String policy) {
        List<String> out = new ArrayList<>();
        for (String k : EquinoxMetrics.counterKinds(policy)) {
            if (k != null) {
                out.add(k);
            }
        }
        return out;
    }
}

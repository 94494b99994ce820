package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.equinox.spi.EngineCostModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A simulated engine for tests: replays arrivals on virtual time, runs each batch for the cost model's step
 * time, reports stop tokens at the true output length, and checks the scheduler's invariants after every step
 * (token budget, KV capacity, decodes never stalled, no request lost or duplicated). With {@link #chaos}, it
 * also cancels random requests and fails random steps, as a real engine and its callers do.
 */
final class TestEngine {
    /** One workload request. */
    record Arrival(double atSeconds, String tenant, int prompt, int output, int maxOutput) {
    }

    final DefaultScheduler scheduler;
    final VirtualTicker ticker;
    final EngineCostModel model;
    final int budget;
    final List<RequestHandle> handles = new ArrayList<>();
    final Map<Long, Integer> trueOutput = new HashMap<>();
    final Map<String, double[]> serviceByTenant = new HashMap<>();
    final StringBuilder schedule = new StringBuilder();
    long steps;
    long terminalEvents;
    long failedSteps;
    long cancelCalls;
    private SplittableRandom chaos;
    private double cancelProbability;
    private double failProbability;

    TestEngine(Scheduler s, VirtualTicker ticker, EngineCostModel model, int budget) {
        this.scheduler = (DefaultScheduler) s;
        this.ticker = ticker;
        this.model = model;
        this.budget = budget;
        s.addListener(new RequestListener() {
            @Override
            public void onTerminal(RequestHandle r, RequestResult result) {
                terminalEvents++;
            }
        });
    }

    /**
     * Turns on random trouble: before each step, with {@code cancelProbability} a random submitted request is
     * cancelled; each step fails with {@code failProbability} ({@link Scheduler#fail}).
     */
    TestEngine chaos(long seed, double cancelProbability, double failProbability) {
        this.chaos = new SplittableRandom(seed);
        this.cancelProbability = cancelProbability;
        this.failProbability = failProbability;
        return this;
    }

    /** Submits every arrival at its time and runs until all are terminal or maxSteps. */
    void run(List<Arrival> arrivals, long maxSteps) {
        int next = 0;
        Set<Req> decodingBefore = new HashSet<>();
        while (steps < maxSteps) {
            while (next < arrivals.size() && arrivals.get(next).atSeconds() * 1e9 <= ticker.now) {
                submit(arrivals.get(next++));
            }
            if (chaos != null && !handles.isEmpty() && chaos.nextDouble() < cancelProbability) {
                if (handles.get(chaos.nextInt(handles.size())).cancel()) {
                    cancelCalls++;
                }
            }
            Batch b = scheduler.nextBatch();
            if (b.isEmpty()) {
                if (next >= arrivals.size()) {
                    if (scheduler.waitingEngine() == 0 && scheduler.runningCount == 0) {
                        return;
                    }
                    fail("scheduler idle with " + scheduler.waitingEngine() + " waiting and " + scheduler.runningCount + " running");
                }
                ticker.now = Math.max(ticker.now, (long) Math.ceil(arrivals.get(next).atSeconds() * 1e9)); // ceil: the arrival is due at once
                continue;
            }
            checkStep(b, decodingBefore);
            scheduler.checkRunningArrays();
            if (chaos != null && chaos.nextDouble() < failProbability) {
                long tokensBefore = generatedTokens();
                scheduler.fail(b, new RuntimeException("injected"));
                scheduler.checkRunningArrays();
                failedSteps++;
                assertEquals(tokensBefore, generatedTokens(), "a failed step keeps the tokens produced before it");
                for (int i = 0; i < b.size(); i++) {
                    assertEquals(RequestStatus.QUEUED, b.request(i).status(), "a failed step puts its requests back");
                }
                decodingBefore.clear();
                collectDecoding(decodingBefore);
                steps++;
                continue;
            }
            double secs = model.stepSeconds(b.prefillTokens(), b.prefillAttendedPairs(), b.decodeCount(), b.decodeContextTokens());
            ticker.advanceSeconds(secs);
            for (int i = 0; i < b.size(); i++) {
                RequestHandle r = b.request(i);
                schedule.append(b.stepId()).append(':').append(r.id()).append(b.isPrefill(i) ? 'p' : 'd')
                        .append(b.tokenOffset(i)).append('+').append(b.tokenCount(i)).append(';');
                if (b.producesToken(i)) {
                    double[] svc = serviceByTenant.computeIfAbsent(r.tenant(), k -> new double[1]);
                    svc[0] += 2;
                    if (r.generatedTokens() + 1 >= trueOutput.get(r.id())) {
                        b.report(i, 1, FinishReason.STOP);
                    }
                }
                if (b.isPrefill(i) && r.preemptions() == 0) {
                    serviceByTenant.computeIfAbsent(r.tenant(), k -> new double[1])[0] += b.tokenCount(i);
                }
            }
            scheduler.complete(b, (long) (secs * 1e9), Double.NaN);
            scheduler.checkRunningArrays();
            decodingBefore.clear();
            collectDecoding(decodingBefore);
            steps++;
        }
    }

    private void collectDecoding(Set<Req> into) {
        for (int i = 0; i < scheduler.runningCount; i++) {
            Req r = scheduler.running[i];
            if (!scheduler.inPrefill(r)) {
                into.add(r);
            }
        }
    }

    private long generatedTokens() {
        long sum = 0;
        for (RequestHandle h : handles) {
            sum += h.generatedTokens();
        }
        return sum;
    }

    void submit(Arrival a) {
        RequestSpec spec = RequestSpec.of(a.tenant(), a.prompt(), a.maxOutput()).withExpectedOutputTokens(a.output());
        RequestHandle h = scheduler.submit(spec).orElseThrow();
        handles.add(h);
        trueOutput.put(h.id(), a.output());
    }

    private void checkStep(Batch b, Set<Req> decodingBefore) {
        assertTrue(b.totalTokens() <= budget, "step " + b.stepId() + " uses " + b.totalTokens() + " tokens > budget " + budget);
        int used = 0;
        for (int i = 0; i < scheduler.runningCount; i++) {
            Req r = scheduler.running[i];
            int blocks = scheduler.blocksOf(r);
            int computed = scheduler.computedOf(r);
            used += blocks;
            assertTrue(blocks * scheduler.blockSize >= computed + (scheduler.inPrefill(r) ? 0 : 1) || scheduler.mode == BatchingMode.VTC_REFERENCE,
                    "request " + r.id + " holds " + blocks + " blocks for " + computed + " tokens");
        }
        assertEquals(scheduler.totalBlocks - scheduler.freeBlocks, used, "KV accounting");
        assertTrue(scheduler.freeBlocks >= 0, "KV over-committed");
        // decodes are never stalled: every request decoding after the last step decodes now, unless preempted
        Set<Req> inBatch = new HashSet<>();
        for (int i = 0; i < b.size(); i++) {
            Req r = b.req(i);
            assertTrue(inBatch.add(r), "request " + r.id + " appears twice in step " + b.stepId());
            assertEquals(RequestStatus.RUNNING, r.status(), "request " + r.id + " in step " + b.stepId());
            // (isPrefill(i) is i >= decodeCount by definition: the request itself says which it is)
            assertEquals(i >= b.decodeCount(), scheduler.inPrefill(r), "decode entries come first, then prefill chunks");
            assertEquals(scheduler.computedOf(r), b.tokenOffset(i), "entry " + i + " continues where request " + r.id + "'s KV ends");
            if (b.isPrefill(i)) {
                assertTrue(b.tokenCount(i) >= 1 && b.tokenOffset(i) + b.tokenCount(i) <= r.prefillTarget, "chunk within the prompt");
                if (scheduler.mode == BatchingMode.STALL_FREE) {
                    assertTrue(b.tokenCount(i) <= scheduler.chunkSize, "chunk of " + b.tokenCount(i) + " > chunkSize " + scheduler.chunkSize);
                } else {
                    assertEquals(r.prefillTarget, b.tokenCount(i), "the reference mode prefills whole prompts");
                }
            }
        }
        if (scheduler.mode == BatchingMode.STALL_FREE) {
            for (Req r : decodingBefore) {
                if (r.runIndex >= 0) {
                    assertTrue(inBatch.contains(r), "decode of request " + r.id + " stalled in step " + b.stepId());
                }
            }
            // every running request past its prefill decodes in every step: prefill only fills what is left
            for (int i = 0; i < scheduler.runningCount; i++) {
                Req r = scheduler.running[i];
                if (!scheduler.inPrefill(r)) {
                    assertTrue(inBatch.contains(r), "running decode of request " + r.id + " left out of step " + b.stepId());
                }
            }
        }
    }

    /**
     * Every submitted request is terminal exactly once and its future is done; finished ones produced their true
     * output (capped by the maximum), and the statistics add up.
     */
    void assertAllTerminal() {
        long finished = 0;
        long cancelled = 0;
        long tokens = 0;
        for (RequestHandle h : handles) {
            assertTrue(h.status().isTerminal(), h + " is not terminal");
            assertTrue(h.completion().isDone(), h + " future not done");
            RequestResult r = h.completion().join();
            assertEquals(h.status(), r.status());
            if (r.status() == RequestStatus.FINISHED) {
                finished++;
                assertEquals(Math.min(trueOutput.get(h.id()), h.spec().maxOutputTokens()), r.outputTokens(), "tokens of " + h);
            } else {
                assertEquals(RequestStatus.CANCELLED, r.status());
                cancelled++;
            }
            tokens += r.outputTokens();
        }
        assertEquals(handles.size(), terminalEvents, "terminal events");
        SchedulerStats st = scheduler.stats();
        assertEquals(handles.size(), st.submitted());
        assertEquals(finished, st.finished());
        assertEquals(cancelled, st.cancelled());
        assertEquals(tokens, st.generationTokens());
        assertEquals(failedSteps, st.failedSteps());
        assertEquals(0, st.waiting());
        assertEquals(0, st.running());
        assertEquals(0, st.kvBlocksUsed());
    }

    /** Random arrivals for tenants t0..t{n-1}. */
    static List<Arrival> randomWorkload(long seed, int count, int tenants, double ratePerSecond, int maxPrompt, int maxOutput) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Arrival> list = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += -Math.log(1 - rnd.nextDouble()) / ratePerSecond;
            int out = 1 + rnd.nextInt(maxOutput);
            list.add(new Arrival(t, "t" + rnd.nextInt(tenants), 1 + rnd.nextInt(maxPrompt), out, Math.min(maxOutput, out + rnd.nextInt(maxOutput))));
        }
        return list;
    }

    /** Each tenant sends `count` requests at a fixed rate (uniform arrivals). */
    static List<Arrival> backlogged(double seconds, double[] rates, int prompt, int output) {
        List<Arrival> list = new ArrayList<>();
        for (int t = 0; t < rates.length; t++) {
            for (double at = 0; at < seconds; at += 1 / rates[t]) {
                list.add(new Arrival(at, "t" + t, prompt, output, output));
            }
        }
        list.sort((a, b) -> Double.compare(a.atSeconds(), b.atSeconds()));
        return list;
    }
}

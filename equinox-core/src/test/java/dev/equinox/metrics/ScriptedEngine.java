package dev.equinox.metrics;

import dev.equinox.Batch;
import dev.equinox.FinishReason;
import dev.equinox.RequestHandle;
import dev.equinox.RequestSpec;
import dev.equinox.Scheduler;
import dev.equinox.Submission;
import dev.equinox.Ticker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A test engine on virtual time that drives a scheduler through its public API only: submits each arrival when
 * due, runs each batch for {@code base + perToken x tokens} seconds, reports a stop token when a request reaches
 * its true output length (a request whose true length exceeds its cap ends by LENGTH instead). It keeps its own
 * tallies (steps, tokens per step) so tests can check metrics against what the workload did.
 */
public final class ScriptedEngine {
    /** One workload request. */
    public record Arrival(double atSeconds, String tenant, int prompt, int output, int maxOutput) {
    }

    /** Virtual time in nanoseconds. */
    public long now;
    public final Ticker ticker = () -> now;
    public final List<RequestHandle> handles = new ArrayList<>();
    public long steps;
    public long iterationTokens;
    public long busyNanos;

    private final Map<Long, Integer> trueOutput = new HashMap<>();
    private final double baseSeconds;
    private final double perTokenSeconds;
    private Scheduler scheduler;
    private Consumer<RequestHandle> onAccepted = h -> { };
    private List<Arrival> arrivals = List.of();
    private int next;

    public ScriptedEngine(double baseSeconds, double perTokenSeconds) {
        this.baseSeconds = baseSeconds;
        this.perTokenSeconds = perTokenSeconds;
    }

    /** Drives {@code s}; {@code accepted} sees every accepted handle (for example a tracker's onSubmitted). */
    public ScriptedEngine drive(Scheduler s, List<Arrival> workload, Consumer<RequestHandle> accepted) {
        this.scheduler = s;
        this.arrivals = workload;
        this.onAccepted = accepted;
        this.next = 0;
        return this;
    }

    /** Runs until every arrival is submitted and the scheduler is idle. */
    public void runToEnd() {
        runUntil(Double.POSITIVE_INFINITY);
    }

    /** Runs steps while the virtual time is before {@code seconds} (a step that starts before it may end after). */
    public void runUntil(double seconds) {
        while (now < seconds * 1e9) {
            submitDue();
            Batch b = scheduler.nextBatch();
            if (b.isEmpty()) {
                if (next >= arrivals.size()) {
                    return;
                }
                now = Math.max(now, (long) Math.ceil(arrivals.get(next).atSeconds() * 1e9));
                continue;
            }
            for (int i = 0; i < b.size(); i++) {
                RequestHandle r = b.request(i);
                if (b.producesToken(i) && r.generatedTokens() + 1 >= trueOutput.get(r.id())) {
                    b.report(i, 1, FinishReason.STOP);
                }
            }
            long nanos = Math.round((baseSeconds + perTokenSeconds * b.totalTokens()) * 1e9);
            iterationTokens += b.totalTokens();
            busyNanos += nanos;
            steps++;
            now += nanos;
            scheduler.complete(b, nanos, Double.NaN);
        }
    }

    private void submitDue() {
        while (next < arrivals.size() && arrivals.get(next).atSeconds() * 1e9 <= now) {
            submit(arrivals.get(next++));
        }
    }

    /** Submits one request now; returns its handle. */
    public RequestHandle submit(Arrival a) {
        Submission s = scheduler.submit(RequestSpec.of(a.tenant(), a.prompt(), a.maxOutput()));
        RequestHandle h = s.orElseThrow();
        handles.add(h);
        trueOutput.put(h.id(), a.output());
        onAccepted.accept(h);
        return h;
    }

    /** Random Poisson arrivals over tenants t0..t{n-1}, some longer than their cap (they end by LENGTH). */
    public static List<Arrival> randomWorkload(long seed, int count, int tenants, double ratePerSecond, int maxPrompt,
            int maxOutput) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Arrival> list = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += -Math.log(1 - rnd.nextDouble()) / ratePerSecond;
            int out = 1 + rnd.nextInt(maxOutput);
            int cap = Math.max(1, out - 2 + rnd.nextInt(maxOutput));
            list.add(new Arrival(t, "t" + rnd.nextInt(tenants), 1 + rnd.nextInt(maxPrompt), out, Math.min(maxOutput, cap)));
        }
        return list;
    }
}

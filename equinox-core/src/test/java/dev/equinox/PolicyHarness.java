package dev.equinox;

import dev.equinox.cost.LinearCostModel;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.SchedulingPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A step-by-step engine for the policies' rule tests: requests are submitted at the current virtual time with a
 * predicted output (read by the oracle predictor) and a true output (the engine reports a stop token when it is
 * reached); {@link #step()} runs one batch for the cost model's step time. Adaptive batching is off and the KV
 * margin is 0 unless a test configures otherwise, so reservations and charges can be computed by hand.
 *
 * <p>It also records the service each tenant received as the engine delivered it: w_p per prompt token when its
 * prefill chunk runs (recomputation after a preemption excluded) and w_q per output token.
 */
final class PolicyHarness {
    /**
     * Exactly proportional cost model: a step takes 1 ms per prompt token plus 4 ms per decode, no fixed part, so
     * the measured GPU time of a step equals the sum of its entries' modelled costs.
     */
    static final EngineCostModel PROPORTIONAL = new LinearCostModel(0, 0.001, 0, 0.004);

    final VirtualTicker ticker = new VirtualTicker();
    final EngineCostModel model;
    final SchedulingPolicy policy;
    final DefaultScheduler scheduler;
    final Map<Long, Integer> trueOutput = new HashMap<>();
    final Map<String, double[]> service = new HashMap<>();
    final List<RequestHandle> handles = new ArrayList<>();
    private final double promptWeight;
    private final double outputWeight;
    long steps;

    /** A harness with stall-free batching, budget and chunk 4096, 64 running, 4096 blocks of 16 tokens. */
    PolicyHarness(SchedulingPolicy policy, EngineCostModel model) {
        this(policy, model, b -> b.tokenBudget(4096).chunkSize(4096).maxRunning(64).kvCache(4096, 16));
    }

    /** A harness whose builder is completed by {@code config} (budgets, KV, weights, mode...). */
    PolicyHarness(SchedulingPolicy policy, EngineCostModel model, UnaryOperator<Equinox> config) {
        this.policy = policy;
        this.model = model;
        Equinox b = Equinox.builder().policy(policy).ticker(ticker).costModel(model).predictor(Predictors.oracle())
                .kvMargin(0);
        b = config.apply(b);
        if (b.adaptive == null) {
            b.adaptiveBatching(false, 1);
        }
        this.scheduler = (DefaultScheduler) b.build();
        this.promptWeight = scheduler.promptWeight;
        this.outputWeight = scheduler.outputWeight;
    }

    /** Submits now: {@code predicted} output tokens predicted, {@code output} produced before the stop token. */
    RequestHandle submit(String tenant, int prompt, int predicted, int output) {
        RequestSpec spec = RequestSpec.of(tenant, prompt, Math.max(output, predicted)).withExpectedOutputTokens(predicted);
        RequestHandle h = scheduler.submit(spec).orElseThrow();
        trueOutput.put(h.id(), output);
        handles.add(h);
        return h;
    }

    /** The tenant's dense index (registration or first-submission order). */
    int index(String tenant) {
        return scheduler.tenantsById().get(tenant).index;
    }

    double counter(String tenant) {
        return policy.counter(index(tenant));
    }

    double resourceCounter(String tenant) {
        return policy.resourceCounter(index(tenant));
    }

    /** Service tenant {@code t} received so far (w_p x prompt tokens prefilled + w_q x output tokens). */
    double service(String tenant) {
        double[] s = service.get(tenant);
        return s == null ? 0 : s[0];
    }

    /** Runs one step (nothing if the scheduler has nothing to run) and returns its batch, still readable. */
    Batch step() {
        Batch b = scheduler.nextBatch();
        if (b.isEmpty()) {
            return b;
        }
        for (int i = 0; i < b.size(); i++) {
            RequestHandle r = b.request(i);
            double[] s = service.computeIfAbsent(r.tenant(), k -> new double[1]);
            if (b.isPrefill(i) && r.preemptions() == 0) {
                s[0] += promptWeight * b.tokenCount(i);
            }
            if (b.producesToken(i)) {
                s[0] += outputWeight;
                if (r.generatedTokens() + 1 >= trueOutput.get(r.id())) {
                    b.report(i, 1, FinishReason.STOP);
                }
            }
        }
        double secs = model.stepSeconds(b.prefillTokens(), b.prefillAttendedPairs(), b.decodeCount(), b.decodeContextTokens());
        ticker.advanceSeconds(secs);
        scheduler.complete(b, (long) (secs * 1e9), Double.NaN);
        steps++;
        return b;
    }

    /** Steps until every submitted request is terminal (at most {@code maxSteps}); returns the steps taken. */
    long runUntilIdle(long maxSteps) {
        long n = 0;
        while (n < maxSteps && !allTerminal()) {
            step();
            n++;
        }
        return n;
    }

    boolean allTerminal() {
        for (RequestHandle r : handles) {
            if (!r.status().isTerminal()) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code r} runs in {@code b}. */
    static boolean contains(Batch b, RequestHandle r) {
        return b.indexOf(r.id()) >= 0;
    }
}

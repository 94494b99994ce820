package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.Batch;
import dev.equinox.Equinox;
import dev.equinox.FinishReason;
import dev.equinox.Policies;
import dev.equinox.RequestHandle;
import dev.equinox.RequestSpec;
import dev.equinox.RequestStatus;
import dev.equinox.Scheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MoPE inside core's scheduler: used when it works; when it fails the scheduler's fallback answers and nothing stalls. */
class SchedulerFallbackTest {
    private static final String[] PROMPTS = {"Write a haiku about snow.", "Explain quantum tunnelling in detail.",
        "What is 2 + 2? Answer with a number.", "Write a 300-word story about a fox."};

    /** Runs 12 requests (3 tenants) to completion on a virtual clock; returns their handles. */
    private static List<RequestHandle> runAll(Mope mope) {
        long[] now = {0};
        List<RequestHandle> handles = new ArrayList<>();
        try (Scheduler s = Equinox.builder()
                .policy(Policies.vtcWithPrediction())
                .predictor(mope)
                .predictionExecutor(Runnable::run)
                .ticker(() -> now[0])
                .kvCache(512, 16)
                .build()) {
            for (int i = 0; i < 12; i++) {
                RequestSpec spec = RequestSpec.of("t" + i % 3, 10, 200).withPromptText(PROMPTS[i % PROMPTS.length])
                        .withExpectedOutputTokens(5 + i);
                handles.add(s.submit(spec).orElseThrow());
            }
            for (int step = 0; step < 10_000 && handles.stream().anyMatch(h -> h.status() != RequestStatus.FINISHED); step++) {
                Batch b = s.nextBatch();
                for (int i = 0; i < b.size(); i++) {
                    if (b.producesToken(i) && b.request(i).generatedTokens() + 1 >= b.request(i).spec().expectedOutputTokens()) {
                        b.report(i, 1, FinishReason.STOP);
                    }
                }
                now[0] += 10_000_000;
                s.complete(b, 10_000_000, 0.5);
            }
        }
        return handles;
    }

    @Test
    void scheduler_workingMope_usesItsPredictions() {
        List<RequestHandle> hs = runAll(Mope.loadDefault()); // the scheduler closes its predictor
        for (RequestHandle h : hs) {
            assertEquals(RequestStatus.FINISHED, h.status());
            assertEquals(h.spec().expectedOutputTokens(), h.generatedTokens());
            int expected = SharedModels.defaultModel().predict(h.spec()).outputTokens();
            assertEquals(expected, h.predictedOutputTokens(), "request " + h.id());
        }
    }

    @Test
    void scheduler_mopeWhoseEngineFails_fallsBackAndFinishesEveryRequest() {
        Mope broken = Mope.loadDefault();
        broken.encoder().close(); // every prediction now fails inside the engine
        List<RequestHandle> hs = runAll(broken);
        assertEquals(12, hs.size());
        for (RequestHandle h : hs) {
            assertEquals(RequestStatus.FINISHED, h.status());
            assertEquals(h.spec().expectedOutputTokens(), h.generatedTokens());
            // core's default fallback predicts the request's max-tokens cap
            assertEquals(200, h.predictedOutputTokens(), "request " + h.id());
        }
        assertTrue(hs.stream().allMatch(h -> h.finishedAtNanos() > 0));
    }

    @Test
    void scheduler_mopeWhosePredictionThrowsLinkageError_fallsBackAndFinishesEveryRequest() {
        // an untyped failure inside predict (here the cost model's; DJL's natives throw UnsatisfiedLinkError): the
        // scheduler falls back on RuntimeExceptions only, so an Error reaches it unless Mope wraps it as a MopeException
        Mope failing = Mope.load(null, null, null, MopeTest.failingCostModel(new UnsatisfiedLinkError("no libtorch")));
        List<RequestHandle> hs = runAll(failing);
        assertEquals(12, hs.size());
        for (RequestHandle h : hs) {
            assertEquals(RequestStatus.FINISHED, h.status());
            assertEquals(h.spec().expectedOutputTokens(), h.generatedTokens());
            assertEquals(200, h.predictedOutputTokens(), "request " + h.id());
        }
    }
}

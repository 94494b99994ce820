package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.spi.Predictor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Predictors#calibrated}: a per-tenant moving average of the base's log error, applied to its predictions. */
class CalibratedPredictorTest {

    private static int tokens(Predictor p, String tenant, int prompt) {
        return p.predict(RequestSpec.of(tenant, prompt, 10_000)).outputTokens();
    }

    /** A base that predicts the prompt length. */
    private static final PredictionPathTest.Recording ECHO = new PredictionPathTest.Recording(false, RequestSpec::promptTokens);

    @Test
    void firstObservation_setsTheFactor_laterOnesMoveAFifthOfTheWay() {
        Predictor p = Predictors.calibrated(ECHO);
        assertEquals(10, tokens(p, "a", 10), "no history: the base's prediction");
        p.observe(RequestSpec.of("a", 10, 10_000), 40, 10); // 4x the prediction: b = log 4
        assertEquals(40, tokens(p, "a", 10));
        assertEquals(200, tokens(p, "a", 50), "the factor scales every prompt of the tenant");
        // predicted 40, actual 20: b = log 4 + 0.2 log(1/2), i.e. 4 x 2^-0.2 = 3.482
        p.observe(RequestSpec.of("a", 10, 10_000), 20, 40);
        assertEquals(35, tokens(p, "a", 10)); // 34.82
        assertEquals(10, tokens(p, "b", 10), "another tenant is not affected");
    }

    @Test
    void steadyError_factorConvergesToIt() {
        Predictor p = Predictors.calibrated(ECHO, 0.5);
        for (int i = 0; i < 30; i++) {
            p.observe(RequestSpec.of("a", 100, 10_000), 30, tokens(p, "a", 100));
        }
        assertEquals(30, tokens(p, "a", 100)); // the base says 100 for a tenant whose requests produce 30
    }

    @Test
    void noPredictionOrNoOutput_teachesNothing() {
        Predictor p = Predictors.calibrated(ECHO);
        p.observe(RequestSpec.of("a", 10, 10_000), 40, 0); // the scheduler had none of this predictor's
        p.observe(RequestSpec.of("a", 10, 10_000), 40); // the two-argument form carries no prediction either
        assertEquals(10, tokens(p, "a", 10));
    }

    @Test
    void base_stillObservesAndKeepsItsNatureAndName() {
        Predictor avg = Predictors.calibrated(Predictors.movingAverage());
        assertEquals("moving-average+calibrated", avg.name());
        assertEquals(1, tokens(avg, "a", 5));
        avg.observe(RequestSpec.of("a", 5, 10_000), 50, 1);
        // the moving average learned 50 and the factor 50 / 1: together 2,500 (the two are not meant to be stacked)
        assertEquals(2500, tokens(avg, "a", 5));
        PredictionPathTest.Recording blocking = new PredictionPathTest.Recording(true, spec -> 3);
        assertTrue(Predictors.calibrated(blocking).isBlocking());
        assertFalse(Predictors.calibrated(ECHO).isBlocking());
    }

    @Test
    void byName_suffixWrapsTheNamedPredictor() {
        assertEquals("oracle+calibrated", Predictors.byName("oracle+calibrated", Map.of()).name());
        assertEquals("max-tokens+calibrated+calibrated", Predictors.byName("max-tokens+calibrated+calibrated", Map.of()).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predictors.byName("+calibrated", Map.of()));
        assertTrue(e.getMessage().contains("unknown predictor"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Predictors.byName("nope+calibrated", Map.of()));
    }

    @Test
    void badArguments_rejected() {
        assertThrows(NullPointerException.class, () -> Predictors.calibrated(null));
        assertThrows(IllegalArgumentException.class, () -> Predictors.calibrated(ECHO, 0));
        assertThrows(IllegalArgumentException.class, () -> Predictors.calibrated(ECHO, 1.5));
        assertThrows(IllegalArgumentException.class, () -> Predictors.calibrated(ECHO, Double.NaN));
    }

    /**
     * In a scheduler: a base that under-predicts a tenant's requests 5x. The scheduler hands back the predictions it
     * received, so after a few finished requests the tenant's new requests are predicted near their true length.
     */
    @Test
    void inTheScheduler_predictionsOfATenantFollowItsTrueLengths() {
        Predictor p = Predictors.calibrated(new PredictionPathTest.Recording(false, spec -> 8));
        Scheduler s = Equinox.builder().predictor(p).maxRunning(1).build();
        for (int i = 0; i < 12; i++) {
            s.submit(RequestSpec.of("a", 16, 40)).orElseThrow(); // each produces its 40 tokens (its cap)
            for (int k = 0; k < 100 && s.stats().waiting() + s.stats().running() > 0; k++) {
                s.complete(s.nextBatch(), 1, Double.NaN);
            }
        }
        RequestHandle next = s.submit(RequestSpec.of("a", 16, 1000)).orElseThrow();
        s.nextBatch();
        assertEquals(40, next.predictedOutputTokens(), "8 x exp(log 5)");
    }
}

package dev.equinox;

import dev.equinox.spi.Prediction;
import dev.equinox.spi.Predictor;

/** Predictors the tests share. */
final class TestPredictors {
    private TestPredictors() {
    }

    /** Predicts {@code tokens} for every request (1 under-reserves KV, so decodes outgrow it and preempt). */
    static Predictor constant(int tokens) {
        return new Predictor() {
            @Override
            public String name() {
                return "constant-" + tokens;
            }

            @Override
            public Prediction predict(RequestSpec request) {
                return Prediction.ofTokens(tokens);
            }
        };
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing arithmetic on a hand-built model whose networks output constants. */
class MopeModelTest {

    /** A network with {@code in} inputs whose outputs are {@code values} whatever the input. */
    static Mlp constant(int in, Mlp.Loss loss, float... values) {
        Mlp m = new Mlp(in, 1, values.length, loss, 1);
        java.util.Arrays.fill(m.w1, 0f);
        m.b1[0] = 1f; // hidden unit = relu(1) = 1
        java.util.Arrays.fill(m.w2, 0f);
        System.arraycopy(values, 0, m.b2, 0, values.length);
        return m;
    }

    /** Boundaries 20 / 200; experts predict 10, 100, 1000 tokens; router logits as given; proxy 50; median 30. */
    static MopeModel model(MopeModel.Routing routing, float... routerLogits) {
        int in = 4 + MopeModel.EXTRA_FEATURES;
        float[] mean = new float[in];
        float[] std = new float[in];
        java.util.Arrays.fill(std, 1f);
        Mlp[] experts = {constant(in, Mlp.Loss.L1, (float) Math.log(10)), constant(in, Mlp.Loss.L1, (float) Math.log(100)),
            constant(in, Mlp.Loss.L1, (float) Math.log(1000))};
        return new MopeModel(new MopeModel.EncoderConfig("minilm", 4, 6, 0, 512, null), routing, new int[] {20, 200}, mean, std,
                constant(in, Mlp.Loss.CROSS_ENTROPY, routerLogits), experts, constant(in, Mlp.Loss.L1, (float) Math.log(50)), 30, null);
    }

    private static final float[] X = new float[4 + MopeModel.EXTRA_FEATURES];

    @Test
    void predict_hardAndSoft_chosenExpertAndWeightedGeometricMean() {
        // probabilities 3/5, 1/5, 1/5: soft = 10^(0.6*1 + 0.2*2 + 0.2*3) = 10^1.6 = 39.8
        MopeModel m = model(MopeModel.Routing.SOFT, (float) Math.log(3), 0, 0);
        MopeModel.Result r = m.predict(X, LengthRules.Cue.NONE, 0);
        assertEquals(0, r.bucket());
        assertEquals(10, r.hardTokens());
        assertEquals(40, r.softTokens());
        assertEquals(40, r.tokens());
        assertEquals(50, m.proxyTokens(X, 0));
        assertEquals("router", r.reason());
        assertEquals(10, model(MopeModel.Routing.HARD, (float) Math.log(3), 0, 0).predict(X, LengthRules.Cue.NONE, 0).tokens());
    }

    @Test
    void predict_capBelowRoutedBucket_bucketsAboveCapDroppedAndClamped() {
        // router prefers bucket 2 (probabilities 1/6, 1/6, 4/6); cap 150 allows buckets 0 and 1 only, renormalised to
        // 1/2, 1/2: soft = 10^(0.5*1 + 0.5*2) = 31.6; hard = the better allowed bucket (a tie: the first) = 10
        MopeModel m = model(MopeModel.Routing.SOFT, 0, 0, (float) Math.log(4));
        MopeModel.Result r = m.predict(X, LengthRules.Cue.NONE, 150);
        assertEquals(2, r.routerBucket());
        assertEquals("rule:max-tokens", r.reason());
        assertEquals(32, r.softTokens());
        assertEquals(10, r.hardTokens());
        MopeModel.Result tight = m.predict(X, LengthRules.Cue.NONE, 5);
        assertEquals(5, tight.tokens());
        assertEquals(5, m.proxyTokens(X, 5));
    }

    @Test
    void predict_terseCue_firstExpertOnly() {
        MopeModel.Result r = model(MopeModel.Routing.SOFT, 0, 0, 5).predict(X, new LengthRules.Cue(Double.NaN, true), 0);
        assertEquals("rule:terse", r.reason());
        assertEquals(10, r.tokens());
    }

    @Test
    void predict_explicitSize_cueValueAndItsBucket() {
        MopeModel.Result r = model(MopeModel.Routing.SOFT, 5, 0, 0).predict(X, new LengthRules.Cue(675, false), 0);
        assertEquals("rule:explicit-size", r.reason());
        assertEquals(675, r.tokens());
        assertEquals(2, r.bucket());
        assertEquals(300, model(MopeModel.Routing.SOFT, 5, 0, 0).predict(X, new LengthRules.Cue(675, false), 300).tokens());
    }

    @Test
    void evaluate_onlineCalibration_perTenantEmaOfLogResiduals() {
        // hard routing always answers 10; the truth is 100, 200, 50 for one tenant:
        // online predictions 10 (nothing seen), 10 * 100/10 = 100, 10 * exp(0.8 ln 10 + 0.2 ln 20) = 114.9 -> 115
        MopeModel m = model(MopeModel.Routing.HARD, 5, 0, 0);
        List<Dataset.Example> d = List.of(new Dataset.Example("a", "x", 100, 0), new Dataset.Example("b", "x", 200, 0),
                new Dataset.Example("c", "x", 50, 0));
        float[][] raw = {X, X, X};
        MopeEvaluator.Report rep = MopeEvaluator.evaluate(m, d, raw);
        assertEquals((90 + 100 + 65) / 3.0, rep.get("mope+online").meanL1(), 1e-9);
        assertEquals((90 + 190 + 40) / 3.0, rep.get("mope").meanL1(), 1e-9);
        assertEquals((70 + 170 + 20) / 3.0, rep.get("train-median").meanL1(), 1e-9);
    }

    @Test
    void withTenants_hash_fixedSetDeterministicContentKept() {
        List<Dataset.Example> d = List.of(new Dataset.Example("a", "m1", 5, 0), new Dataset.Example("b", "m1", 6, 0),
                new Dataset.Example("c", "m2", 7, 400));
        assertEquals(d, Dataset.withTenants(d, "field", 1));
        List<Dataset.Example> h = Dataset.withTenants(d, "hash:2", 1);
        assertEquals(h, Dataset.withTenants(d, "hash:2", 1));
        for (int i = 0; i < d.size(); i++) {
            assertEquals(d.get(i).prompt(), h.get(i).prompt());
            assertEquals(d.get(i).outputTokens(), h.get(i).outputTokens());
            assertEquals(d.get(i).cap(), h.get(i).cap());
            assertEquals(true, h.get(i).tenant().equals("t0") || h.get(i).tenant().equals("t1"), h.get(i).tenant());
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Dataset.withTenants(d, "hash:x", 1));
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MopeEvaluatorTest {

    @Test
    void kendallTauB_perfectAndReversedAndTied_knownValues() {
        assertEquals(1.0, MopeEvaluator.kendallTauB(new int[] {1, 2, 3, 4}, new int[] {10, 20, 30, 40}), 1e-12);
        assertEquals(-1.0, MopeEvaluator.kendallTauB(new int[] {1, 2, 3, 4}, new int[] {4, 3, 2, 1}), 1e-12);
        assertEquals(0.0, MopeEvaluator.kendallTauB(new int[] {1, 2, 3}, new int[] {5, 5, 5}), 1e-12);
        // a=(1,2,3), b=(1,3,2): C=2, D=1 -> 1/3
        assertEquals(1.0 / 3, MopeEvaluator.kendallTauB(new int[] {1, 2, 3}, new int[] {1, 3, 2}), 1e-12);
    }

    @Test
    void quantileBoundaries_uniformLengths_tercileCuts() {
        int[] t = new int[300];
        for (int i = 0; i < t.length; i++) {
            t[i] = i + 1;
        }
        assertArrayEquals(new int[] {100, 200}, MopeTrainer.quantileBoundaries(t, 3));
    }

    @Test
    void evaluate_movingAverageBaseline_vtcUpdateRule() {
        MopeModel m = SharedModels.defaultModel().model();
        List<Dataset.Example> d = List.of(new Dataset.Example("a", "x", 100, 0), new Dataset.Example("b", "x", 200, 0),
                new Dataset.Example("c", "x", 50, 0));
        float[][] raw = new float[3][];
        for (int i = 0; i < 3; i++) {
            raw[i] = MopeModel.rawFeatures(new float[m.mean.length - MopeModel.EXTRA_FEATURES], 5, LengthRules.Cue.NONE);
        }
        // predictions 1 (none seen), 100 (first sets p), 120 = (4*100+200)/5: errors 99, 100, 70
        MopeEvaluator.Score s = MopeEvaluator.evaluate(m, d, raw).get("moving-average");
        assertEquals((99 + 100 + 70) / 3.0, s.meanL1(), 1e-9);
        assertEquals(99, s.medianL1(), 1e-9);
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopLayerTunerTest {
    private static final TinyBert TINY = new TinyBert(64, 24, 12, 2, 32, 11);

    private static BertEncoder tiny() {
        return BertEncoder.fromOnnx(TINY.onnx(), 0, BertEncoder.ENGINE, "tiny");
    }

    /** Sequences of tokens from [8, 36) (target log tokens 5) or [36, 64) (target 2). */
    private static void data(int n, long seed, List<int[]> ids, float[] y) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            int[] s = new int[4 + r.nextInt(5)];
            boolean low = i % 2 == 0;
            for (int t = 0; t < s.length; t++) {
                s[t] = (low ? 8 : 36) + r.nextInt(28);
            }
            ids.add(s);
            y[i] = low ? 5f : 2f;
        }
    }

    private static TopLayerTuner train(BertEncoder e, long seed) {
        List<int[]> ids = new ArrayList<>();
        float[] y = new float[64];
        data(64, 1, ids, y);
        List<int[]> vIds = new ArrayList<>();
        float[] vy = new float[16];
        data(16, 2, vIds, vy);
        return TopLayerTuner.train(e, ids, y, vIds, vy, new TopLayerTuner.Config(1, 8, 3, 8, 3e-3, 5e-2, seed), s -> { });
    }

    @Test
    void train_learnableTarget_validationLossDropsAndLayerChanges() {
        int[] probe = {1, 9, 20, 2};
        try (BertEncoder e = tiny(); TopLayerTuner t = train(e, 3)) {
            assertTrue(t.bestLoss() < 0.5 * t.initialLoss(), "loss " + t.initialLoss() + " -> " + t.bestLoss());
            assertFalse(java.util.Arrays.equals(e.embed(probe, e.layers()), t.embed(probe)), "the top layer was not updated");
        }
    }

    @Test
    void train_sameSeed_identicalTunedEmbeddings() {
        int[] probe = {1, 7, 9, 20, 2};
        try (BertEncoder e = tiny(); TopLayerTuner a = train(e, 5); TopLayerTuner b = train(e, 5)) {
            assertArrayEquals(a.embed(probe), b.embed(probe));
        }
    }

    @Test
    void train_leavesEncoderItselfUntouched() {
        int[] probe = {1, 7, 9, 20, 2};
        try (BertEncoder e = tiny()) {
            float[] before = e.embed(probe, e.layers());
            try (TopLayerTuner t = train(e, 5)) {
                assertArrayEquals(before, e.embed(probe, e.layers()));
            }
        }
    }

    @Test
    void train_moreLayersThanEncoder_throwsIllegalArgument() {
        try (BertEncoder e = tiny()) {
            assertThrows(IllegalArgumentException.class, () -> TopLayerTuner.train(e, List.of(new int[] {1, 2}), new float[] {1},
                    List.of(), new float[0], new TopLayerTuner.Config(3, 1, 1, 1, 1e-3, 1e-3, 1), s -> { }));
        }
    }
}

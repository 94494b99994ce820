package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MlpTest {
    private static final float[][] X = new float[400][];
    private static final float[] Y = new float[400];
    private static final float[] CLASS = new float[400];

    static {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < X.length; i++) {
            X[i] = new float[] {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
            Y[i] = 2 * X[i][0] - X[i][1] + 3;
            CLASS[i] = X[i][0] + X[i][2] > 0 ? 1 : 0;
        }
    }

    private static Mlp trainRegressor(long seed) {
        return Mlp.train(X, Y, new float[0][], new float[0], 1, Mlp.Loss.L1,
                new Mlp.Config(16, 60, 10, 32, 1e-2, 0, seed), "test", null);
    }

    @Test
    void train_linearTarget_lowL1() {
        Mlp m = trainRegressor(3);
        assertTrue(m.meanLoss(X, Y) < 0.3, "L1 " + m.meanLoss(X, Y));
    }

    @Test
    void train_separableClasses_highAccuracy() {
        Mlp m = Mlp.train(X, CLASS, new float[0][], new float[0], 2, Mlp.Loss.CROSS_ENTROPY,
                new Mlp.Config(16, 60, 10, 32, 1e-2, 0, 3), "test", null);
        int hits = 0;
        for (int i = 0; i < X.length; i++) {
            hits += Mlp.argmax(m.forward(X[i])) == (int) CLASS[i] ? 1 : 0;
        }
        assertTrue(hits > 380, "accuracy " + hits + "/400");
    }

    @Test
    void train_sameSeed_identicalWeights() {
        assertArrayEquals(trainRegressor(5).w1, trainRegressor(5).w1);
    }

    @Test
    void writeRead_roundTrip_sameOutputs() throws IOException {
        Mlp m = trainRegressor(3);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        m.write(new DataOutputStream(b));
        Mlp r = Mlp.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())), "mem");
        assertEquals(m.forward(X[0])[0], r.forward(X[0])[0]);
        assertEquals(Mlp.Loss.L1, r.loss);
    }

    @Test
    void read_badMagic_throwsMopeException() {
        byte[] junk = new byte[64];
        assertThrows(MopeException.class, () -> Mlp.read(new DataInputStream(new ByteArrayInputStream(junk)), "junk"));
    }
}

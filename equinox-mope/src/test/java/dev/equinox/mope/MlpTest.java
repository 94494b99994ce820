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

    private static byte[] bytes(Mlp m) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        m.write(new DataOutputStream(b));
        return b.toByteArray();
    }

    private static MopeException readFails(byte[] b, Mlp.Role role) {
        return assertThrows(MopeException.class, () -> Mlp.read(new DataInputStream(new ByteArrayInputStream(b)), "net.bin", role));
    }

    @Test
    void read_headerClaimsHugeShape_throwsBeforeAllocating() throws IOException {
        // 24 bytes claiming 100000 inputs x 20000 hidden: was 8 GB allocated (and randomised) before the first weight
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        for (int v : new int[] {0x4D4F5045, 1, 100_000, 20_000, 3, 0}) {
            o.writeInt(v);
        }
        MopeException e = readFails(b.toByteArray(), null);
        assertTrue(e.getMessage().contains("net.bin") && e.getMessage().contains("100000x20000x3"), e.getMessage());
        // a claim that fits in memory but not in the file: truncated, and the expected role's size is checked first
        b.reset();
        for (int v : new int[] {0x4D4F5045, 1, 387, 50_000, 3, 0}) {
            o.writeInt(v);
        }
        assertTrue(readFails(b.toByteArray(), null).getMessage().contains("truncated"));
        assertTrue(readFails(b.toByteArray(), new Mlp.Role(100, 3, Mlp.Loss.CROSS_ENTROPY)).getMessage().contains("expected 100"));
    }

    @Test
    void read_trailingBytesOrShortHeader_throwsMopeException() throws IOException {
        byte[] ok = bytes(trainRegressor(3));
        byte[] longer = java.util.Arrays.copyOf(ok, ok.length + 4);
        assertTrue(readFails(longer, null).getMessage().contains("trailing"), "trailing bytes");
        assertTrue(readFails(java.util.Arrays.copyOf(ok, 10), null).getMessage().contains("truncated"), "short header");
        assertTrue(readFails(java.util.Arrays.copyOf(ok, ok.length - 1), null).getMessage().contains("truncated"), "short body");
    }

    @Test
    void read_fileOfAnotherRole_throwsMopeException() throws IOException {
        byte[] expert = bytes(trainRegressor(3)); // 3 inputs, 1 output, L1
        Mlp.read(new DataInputStream(new ByteArrayInputStream(expert)), "expert", new Mlp.Role(3, 1, Mlp.Loss.L1));
        assertTrue(readFails(expert, new Mlp.Role(3, 2, Mlp.Loss.CROSS_ENTROPY)).getMessage().contains("outputs, expected 2"));
        assertTrue(readFails(expert, new Mlp.Role(3, 1, Mlp.Loss.CROSS_ENTROPY)).getMessage().contains("loss"));
        assertTrue(readFails(expert, new Mlp.Role(4, 1, Mlp.Loss.L1)).getMessage().contains("expected 4"));
    }

    @Test
    void read_badMagic_throwsMopeException() {
        byte[] junk = new byte[64];
        assertThrows(MopeException.class, () -> Mlp.read(new DataInputStream(new ByteArrayInputStream(junk)), "junk"));
    }
}

package dev.equinox.mope;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A one-hidden-layer perceptron (ReLU) in plain Java: the router (softmax over buckets, cross-entropy) and the
 * experts (one output: log output tokens, L1 loss, whose minimiser is the conditional median) are this class.
 * Trained single-threaded with Adam and mini-batches in an order drawn from a fixed seed, so training is
 * bit-for-bit reproducible; early stopping keeps the weights of the best validation epoch.
 *
 * <p>Why not DJL for the heads: the heads are 50k parameters on precomputed 384-d embeddings; a forward pass is
 * ~25 us in plain Java against ~40 us of per-op native-call overhead for the same three DJL ops, and plain-Java
 * training needs no engine state, is deterministic by construction and trains an expert in about a second.
 */
final class Mlp {
    enum Loss { CROSS_ENTROPY, L1 }

    final int in;
    final int hidden;
    final int out;
    final Loss loss;
    final float[] w1; // [hidden][in]
    final float[] b1;
    final float[] w2; // [out][hidden]
    final float[] b2;

    Mlp(int in, int hidden, int out, Loss loss, long seed) {
        this(in, hidden, out, loss, new float[Math.multiplyExact(hidden, in)], new float[hidden],
                new float[Math.multiplyExact(out, hidden)], new float[out]);
        SplittableRandom r = new SplittableRandom(seed);
        double s1 = Math.sqrt(2.0 / in);
        double s2 = Math.sqrt(1.0 / hidden);
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) (r.nextGaussian() * s1);
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) (r.nextGaussian() * s2);
        }
    }

    /** A network with the given weights (taken, not copied). */
    private Mlp(int in, int hidden, int out, Loss loss, float[] w1, float[] b1, float[] w2, float[] b2) {
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.loss = loss;
        this.w1 = w1;
        this.b1 = b1;
        this.w2 = w2;
        this.b2 = b2;
    }

    /** Raw outputs (logits for the router, log tokens for an expert). */
    float[] forward(float[] x) {
        float[] h = new float[hidden];
        hiddenInto(x, h);
        float[] o = new float[out];
        for (int k = 0; k < out; k++) {
            o[k] = b2[k] + dot(w2, k * hidden, h, hidden);
        }
        return o;
    }

    private void hiddenInto(float[] x, float[] h) {
        for (int j = 0; j < hidden; j++) {
            float s = b1[j] + dot(w1, j * in, x, in);
            h[j] = s > 0 ? s : 0f;
        }
    }

    /**
     * {@code sum w[off + i] * x[i]} for i below n, with four independent float accumulators: HotSpot does not
     * vectorise a floating-point reduction (it may not reorder the additions), and one accumulator serialises on
     * the add latency; four keep the multiply-add units busy (about 3x faster measured on this 387 x 64 layer).
     */
    static float dot(float[] w, int off, float[] x, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += w[off + i] * x[i];
            s1 += w[off + i + 1] * x[i + 1];
            s2 += w[off + i + 2] * x[i + 2];
            s3 += w[off + i + 3] * x[i + 3];
        }
        for (; i < n; i++) {
            s0 += w[off + i] * x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Mean loss over a set (targets: class index as float for cross-entropy, value for L1). */
    double meanLoss(float[][] x, float[] y) {
        double sum = 0;
        for (int n = 0; n < x.length; n++) {
            float[] o = forward(x[n]);
            sum += loss == Loss.L1 ? Math.abs(o[0] - y[n]) : crossEntropy(o, (int) y[n]);
        }
        return x.length == 0 ? 0 : sum / x.length;
    }

    private static double crossEntropy(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l - max);
        }
        return -(logits[target] - max - Math.log(z));
    }

    /** Training settings. */
    record Config(int hidden, int maxEpochs, int patience, int batch, double lr, double weightDecay, long seed) {
        static Config defaults(long seed) {
            return new Config(64, 200, 10, 32, 1e-3, 1e-4, seed);
        }
    }

    /** Trains a new network; {@code log} receives one line per improvement (may be null). */
    static Mlp train(float[][] x, float[] y, float[][] vx, float[] vy, int outputs, Loss loss, Config c,
            String label, java.util.function.Consumer<String> log) {
        if (x.length == 0) {
            throw new IllegalArgumentException("no training examples for " + label);
        }
        int in = x[0].length;
        Mlp m = new Mlp(in, c.hidden(), outputs, loss, c.seed());
        if (loss == Loss.L1) { // start at the median so early epochs are not wasted
            float[] s = y.clone();
            Arrays.sort(s);
            m.b2[0] = s[s.length / 2];
        }
        float[][] valX = vx.length > 0 ? vx : x;
        float[] valY = vx.length > 0 ? vy : y;
        float[][] grads = {new float[m.w1.length], new float[m.b1.length], new float[m.w2.length], new float[m.b2.length]};
        float[][] params = {m.w1, m.b1, m.w2, m.b2};
        float[][] m1 = new float[4][];
        float[][] m2 = new float[4][];
        for (int p = 0; p < 4; p++) {
            m1[p] = new float[params[p].length];
            m2[p] = new float[params[p].length];
        }
        int[] order = new int[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(c.seed() ^ 0x9E3779B97F4A7C15L);
        double best = m.meanLoss(valX, valY);
        float[][] bestParams = copy(params);
        int bestEpoch = 0;
        long step = 0;
        float[] h = new float[m.hidden];
        float[] dout = new float[outputs];
        float[] dh = new float[m.hidden];
        for (int epoch = 1; epoch <= c.maxEpochs(); epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < order.length; start += c.batch()) {
                int end = Math.min(order.length, start + c.batch());
                for (float[] g : grads) {
                    Arrays.fill(g, 0f);
                }
                for (int b = start; b < end; b++) {
                    float[] xi = x[order[b]];
                    m.hiddenInto(xi, h);
                    // output and its gradient
                    for (int k = 0; k < outputs; k++) {
                        dout[k] = m.b2[k] + dot(m.w2, k * m.hidden, h, m.hidden);
                    }
                    if (loss == Loss.L1) {
                        float d = dout[0] - y[order[b]];
                        dout[0] = d > 0 ? 1f : d < 0 ? -1f : 0f;
                    } else {
                        float max = Float.NEGATIVE_INFINITY;
                        for (float v : dout) {
                            max = Math.max(max, v);
                        }
                        double z = 0;
                        for (int k = 0; k < outputs; k++) {
                            z += Math.exp(dout[k] - max);
                        }
                        for (int k = 0; k < outputs; k++) {
                            dout[k] = (float) (Math.exp(dout[k] - max) / z);
                        }
                        dout[(int) y[order[b]]] -= 1f;
                    }
                    Arrays.fill(dh, 0f);
                    for (int k = 0; k < outputs; k++) {
                        float g = dout[k];
                        grads[3][k] += g;
                        int off = k * m.hidden;
                        for (int j = 0; j < m.hidden; j++) {
                            grads[2][off + j] += g * h[j];
                            dh[j] += g * m.w2[off + j];
                        }
                    }
                    for (int j = 0; j < m.hidden; j++) {
                        if (h[j] <= 0) {
                            continue;
                        }
                        float g = dh[j];
                        grads[1][j] += g;
                        int off = j * m.in;
                        for (int i = 0; i < m.in; i++) {
                            grads[0][off + i] += g * xi[i];
                        }
                    }
                }
                step++;
                float scale = 1f / (end - start);
                double b1c = 1 - Math.pow(0.9, step);
                double b2c = 1 - Math.pow(0.999, step);
                for (int p = 0; p < 4; p++) {
                    float[] w = params[p];
                    float[] g = grads[p];
                    float[] a = m1[p];
                    float[] v = m2[p];
                    float lrc = (float) (c.lr() / b1c);
                    float vScale = (float) (1 / b2c);
                    float decay = p == 0 || p == 2 ? (float) (c.lr() * c.weightDecay()) : 0f;
                    for (int i = 0; i < w.length; i++) {
                        float gi = g[i] * scale;
                        a[i] = 0.9f * a[i] + 0.1f * gi;
                        v[i] = 0.999f * v[i] + 0.001f * gi * gi;
                        w[i] -= lrc * a[i] / ((float) Math.sqrt(v[i] * vScale) + 1e-8f) + decay * w[i];
                    }
                }
            }
            double val = m.meanLoss(valX, valY);
            if (val < best - 1e-6) {
                best = val;
                bestParams = copy(params);
                bestEpoch = epoch;
                if (log != null) {
                    log.accept(String.format("  %s epoch %d: validation loss %.4f", label, epoch, val));
                }
            } else if (epoch - bestEpoch >= c.patience()) {
                break;
            }
        }
        for (int p = 0; p < 4; p++) {
            System.arraycopy(bestParams[p], 0, params[p], 0, params[p].length);
        }
        if (log != null) {
            log.accept(String.format("  %s: best epoch %d, validation loss %.4f (%d train, %d validation)", label,
                    bestEpoch, best, x.length, vx.length));
        }
        return m;
    }

    private static float[][] copy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    private static final int MAGIC = 0x4D4F5045; // "MOPE"

    void write(DataOutputStream o) throws IOException {
        o.writeInt(MAGIC);
        o.writeInt(1);
        o.writeInt(in);
        o.writeInt(hidden);
        o.writeInt(out);
        o.writeInt(loss.ordinal());
        for (float[] a : new float[][] {w1, b1, w2, b2}) {
            for (float f : a) {
                o.writeFloat(f);
            }
        }
    }

    /** The shape and loss a model file must have for its role (0: any size); see {@link #read(DataInputStream, String, Role)}. */
    record Role(int in, int out, Loss loss) {
    }

    /** The largest hidden layer a model file may declare (the trainer's default is 64). */
    static final int MAX_HIDDEN = 100_000;
    private static final int HEADER_BYTES = 24;

    /** Reads a network of any shape (see {@link #read(DataInputStream, String, Role)}). */
    static Mlp read(DataInputStream i, String what) throws IOException {
        return read(i, what, null);
    }

    /**
     * Reads a network written by {@link #write}, checking the header against {@code role} (null: no expectation)
     * before anything is allocated, then that exactly the declared weights follow: a short file is "truncated", a
     * longer one has "trailing bytes", and a non-finite weight is rejected. Memory is only allocated for bytes that
     * are actually in the file, so a header claiming a huge shape cannot exhaust the heap.
     *
     * @throws MopeException naming {@code what} for a wrong magic, version, shape, loss or size
     */
    static Mlp read(DataInputStream i, String what, Role role) throws IOException {
        byte[] header = i.readNBytes(HEADER_BYTES);
        if (header.length < 4 || ByteBuffer.wrap(header).getInt() != MAGIC) {
            throw new MopeException("corrupt model file " + what + ": bad magic number");
        }
        if (header.length < HEADER_BYTES) {
            throw new MopeException("corrupt model file " + what + ": truncated (" + header.length + "-byte header)");
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        h.getInt();
        int version = h.getInt();
        if (version != 1) {
            throw new MopeException("model file " + what + " has format version " + version + ", expected 1");
        }
        int in = h.getInt();
        int hidden = h.getInt();
        int out = h.getInt();
        int lossIdx = h.getInt();
        if (in <= 0 || hidden <= 0 || out <= 0 || in > 100_000 || hidden > MAX_HIDDEN || out > 1000 || lossIdx < 0 || lossIdx > 1) {
            throw new MopeException("corrupt model file " + what + ": shape " + in + "x" + hidden + "x" + out + ", loss " + lossIdx);
        }
        Loss loss = Loss.values()[lossIdx];
        if (role != null) {
            if (role.in() > 0 && in != role.in()) {
                throw new MopeException("model file " + what + ": shape " + in + "x" + hidden + "x" + out + " takes " + in
                        + " features, expected " + role.in());
            }
            if (role.out() > 0 && out != role.out()) {
                throw new MopeException("model file " + what + ": shape " + in + "x" + hidden + "x" + out + " has " + out
                        + " outputs, expected " + role.out());
            }
            if (role.loss() != null && loss != role.loss()) {
                throw new MopeException("model file " + what + ": loss " + loss + ", expected " + role.loss()
                        + " (a file of another role?)");
            }
        }
        long floats = (long) hidden * in + hidden + (long) out * hidden + out; // no int overflow: each factor < 2^17
        long bytes = floats * 4;
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new MopeException("corrupt model file " + what + ": shape " + in + "x" + hidden + "x" + out + " needs "
                    + bytes + " bytes of weights, more than a model file can hold");
        }
        byte[] body = i.readNBytes((int) bytes); // grows with what is read, not with what the header claims
        if (body.length < bytes) {
            throw new MopeException("corrupt model file " + what + ": truncated (" + body.length + " bytes of weights, shape "
                    + in + "x" + hidden + "x" + out + " needs " + bytes + ")");
        }
        if (i.read() != -1) {
            throw new MopeException("corrupt model file " + what + ": trailing bytes after the " + bytes + " bytes of weights of shape "
                    + in + "x" + hidden + "x" + out);
        }
        FloatBuffer fb = ByteBuffer.wrap(body).asFloatBuffer(); // big-endian, as DataOutputStream wrote them
        float[][] parts = {new float[hidden * in], new float[hidden], new float[out * hidden], new float[out]};
        for (float[] a : parts) {
            fb.get(a);
            for (float f : a) {
                if (!Float.isFinite(f)) {
                    throw new MopeException("corrupt model file " + what + ": non-finite weight");
                }
            }
        }
        return new Mlp(in, hidden, out, loss, parts[0], parts[1], parts[2], parts[3]);
    }
}

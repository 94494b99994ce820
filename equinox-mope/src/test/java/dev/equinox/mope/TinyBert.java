package dev.equinox.mope;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A small random BERT written as an ONNX file the way the HuggingFace exporter writes one (prefix {@code bert.},
 * anonymous {@code onnx::MatMul_N} weights in [in, out] consumed by {@code Add} nodes carrying the bias names;
 * layer 1 instead stores PyTorch-layout {@code .weight} initializers, as an unoptimised export does), plus an
 * independent plain-Java reference forward pass in double precision to compare {@link BertEncoder} against.
 */
final class TinyBert {
    static final String[] LINEARS = {"attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense"};

    final int vocab;
    final int hidden;
    final int heads;
    final int layers;
    final int inter;
    final int positions;
    final double[][] word;
    final double[][] pos;
    final double[] type0;
    final double[] embLnW;
    final double[] embLnB;
    /** [layer][linear] weights in [out][in] and biases. */
    final double[][][][] w;
    final double[][][] b;
    /** [layer][0 = attention LayerNorm, 1 = output LayerNorm][0 = gamma, 1 = beta]. */
    final double[][][][] ln;
    /** Initializers written instead of the model's own, by full name (to build corrupt files); empty normally. */
    final java.util.Map<String, double[][]> overrides = new java.util.HashMap<>();

    TinyBert(int vocab, int hidden, int heads, int layers, int positions, long seed) {
        this.vocab = vocab;
        this.hidden = hidden;
        this.heads = heads;
        this.layers = layers;
        this.inter = 4 * hidden;
        this.positions = positions;
        SplittableRandom r = new SplittableRandom(seed);
        word = rand(r, vocab, hidden, 1.0);
        pos = rand(r, positions, hidden, 0.5);
        type0 = rand(r, 1, hidden, 0.5)[0];
        embLnW = gamma(r, hidden);
        embLnB = rand(r, 1, hidden, 0.1)[0];
        w = new double[layers][6][][];
        b = new double[layers][6][];
        ln = new double[layers][2][2][];
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < 6; k++) {
                int in = k == 5 ? inter : hidden;
                int out = k == 4 ? inter : hidden;
                w[l][k] = rand(r, out, in, 1 / Math.sqrt(in));
                b[l][k] = rand(r, 1, out, 0.1)[0];
            }
            for (int k = 0; k < 2; k++) {
                ln[l][k][0] = gamma(r, hidden);
                ln[l][k][1] = rand(r, 1, hidden, 0.1)[0];
            }
        }
    }

    private static double[][] rand(SplittableRandom r, int rows, int cols, double scale) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) (r.nextGaussian() * scale); // float-representable, as the file stores floats
            }
        }
        return a;
    }

    private static double[] gamma(SplittableRandom r, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (1 + 0.1 * r.nextGaussian());
        }
        return g;
    }

    // ---- ONNX ----

    byte[] onnx() {
        ByteArrayOutputStream g = new ByteArrayOutputStream();
        init(g, "bert.embeddings.word_embeddings.weight", word);
        init(g, "bert.embeddings.position_embeddings.weight", pos);
        double[][] types = {type0, new double[hidden]};
        init(g, "bert.embeddings.token_type_embeddings.weight", types);
        init(g, "bert.embeddings.LayerNorm.weight", new double[][] {embLnW});
        init(g, "bert.embeddings.LayerNorm.bias", new double[][] {embLnB});
        int anon = 700;
        for (int l = 0; l < layers; l++) {
            String p = "bert.encoder.layer." + l + ".";
            for (int k = 0; k < 6; k++) {
                String bias = p + LINEARS[k] + ".bias";
                init(g, bias, new double[][] {b[l][k]});
                if (l == 1) { // PyTorch layout, named
                    init(g, p + LINEARS[k] + ".weight", w[l][k]);
                } else {
                    String name = "onnx::MatMul_" + anon++;
                    init(g, name, transpose(w[l][k]));
                    field(g, 1, node("MatMul", new String[] {"x" + anon, name}, new String[] {"mm" + anon}));
                    field(g, 1, node("Add", new String[] {bias, "mm" + anon}, new String[] {"y" + anon}));
                }
            }
            init(g, p + "attention.output.LayerNorm.weight", new double[][] {ln[l][0][0]});
            init(g, p + "attention.output.LayerNorm.bias", new double[][] {ln[l][0][1]});
            init(g, p + "output.LayerNorm.weight", new double[][] {ln[l][1][0]});
            init(g, p + "output.LayerNorm.bias", new double[][] {ln[l][1][1]});
        }
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        varintField(m, 1, 8); // ir_version
        field(m, 7, g.toByteArray());
        return m.toByteArray();
    }

    private static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    private void init(ByteArrayOutputStream g, String name, double[][] a) {
        a = overrides.getOrDefault(name, a);
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        boolean vector = a.length == 1 && !name.contains("token_type");
        if (!vector) {
            varintField(t, 1, a.length);
        }
        varintField(t, 1, a[0].length);
        varintField(t, 2, OnnxReader.FLOAT);
        field(t, 8, name.getBytes(StandardCharsets.UTF_8));
        ByteBuffer bb = ByteBuffer.allocate(a.length * a[0].length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double[] row : a) {
            for (double v : row) {
                bb.putFloat((float) v);
            }
        }
        field(t, 9, bb.array());
        field(g, 5, t.toByteArray());
    }

    private static byte[] node(String op, String[] in, String[] out) {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        for (String s : in) {
            field(n, 1, s.getBytes(StandardCharsets.UTF_8));
        }
        for (String s : out) {
            field(n, 2, s.getBytes(StandardCharsets.UTF_8));
        }
        field(n, 4, op.getBytes(StandardCharsets.UTF_8));
        return n.toByteArray();
    }

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void varintField(ByteArrayOutputStream o, int field, long v) {
        varint(o, (long) field << 3);
        varint(o, v);
    }

    private static void field(ByteArrayOutputStream o, int field, byte[] bytes) {
        varint(o, (long) field << 3 | 2);
        varint(o, bytes.length);
        o.writeBytes(bytes);
    }

    // ---- reference forward (double precision, textbook HF BERT) ----

    /** Mean-pooled hidden state after {@code depth} layers. */
    double[] embed(int[] ids, int depth) {
        int n = ids.length;
        double[][] x = new double[n][hidden];
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < hidden; h++) {
                x[t][h] = word[ids[t]][h] + pos[t][h] + type0[h];
            }
            x[t] = layerNorm(x[t], embLnW, embLnB);
        }
        for (int l = 0; l < depth; l++) {
            x = layer(l, x);
        }
        double[] mean = new double[hidden];
        for (double[] row : x) {
            for (int h = 0; h < hidden; h++) {
                mean[h] += row[h] / n;
            }
        }
        return mean;
    }

    private double[][] layer(int l, double[][] x) {
        int n = x.length;
        int dh = hidden / heads;
        double[][] q = linear(x, w[l][0], b[l][0]);
        double[][] k = linear(x, w[l][1], b[l][1]);
        double[][] v = linear(x, w[l][2], b[l][2]);
        double[][] ctx = new double[n][hidden];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < n; i++) {
                double[] s = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int d = 0; d < dh; d++) {
                        dot += q[i][hd * dh + d] * k[j][hd * dh + d];
                    }
                    s[j] = dot / Math.sqrt(dh);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < n; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = 0; j < n; j++) {
                    for (int d = 0; d < dh; d++) {
                        ctx[i][hd * dh + d] += s[j] / z * v[j][hd * dh + d];
                    }
                }
            }
        }
        double[][] a = linear(ctx, w[l][3], b[l][3]);
        double[][] h = new double[n][];
        for (int i = 0; i < n; i++) {
            h[i] = layerNorm(add(a[i], x[i]), ln[l][0][0], ln[l][0][1]);
        }
        double[][] in = linear(h, w[l][4], b[l][4]);
        for (double[] row : in) {
            for (int j = 0; j < row.length; j++) {
                row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
            }
        }
        double[][] o = linear(in, w[l][5], b[l][5]);
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = layerNorm(add(o[i], h[i]), ln[l][1][0], ln[l][1][1]);
        }
        return out;
    }

    private static double[][] linear(double[][] x, double[][] wOutIn, double[] bias) {
        double[][] y = new double[x.length][wOutIn.length];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < wOutIn.length; o++) {
                double s = bias[o];
                for (int j = 0; j < x[i].length; j++) {
                    s += wOutIn[o][j] * x[i][j];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static double[] add(double[] a, double[] c) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            s[i] = a[i] + c[i];
        }
        return s;
    }

    private static double[] layerNorm(double[] x, double[] g, double[] beta) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + 1e-12) * g[i] + beta[i];
        }
        return y;
    }

    /** erf by Abramowitz-Stegun 7.1.26 refined with a Taylor series near 0 (|error| < 1e-9 is not needed; ~1e-7). */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2) { // Maclaurin series, converges fast for |x| < 2
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 60; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double t = 1 / (1 + 0.3275911 * ax);
            double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
            r = y;
        }
        return x < 0 ? -r : r;
    }
}

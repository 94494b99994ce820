package dev.equinox.mope;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The alternative to heads on a frozen encoder that the issue asks to measure: fine-tune the top {@code k} layers
 * of the encoder (with a linear regression head on their mean-pooled output, L1 loss on log output tokens) on
 * DJL's PyTorch autograd, then use the tuned encoder's embeddings as MoPE's features. The lower layers stay
 * frozen, so their hidden states are computed once per prompt and only the top layers run per step.
 *
 * <p>Adam (in plain Java on copies of the weights), mini-batches in an order drawn from a fixed seed, early stopping on the validation L1 with
 * the best epoch's weights kept. Single-threaded; memory is {@code tokens x hidden} floats per example.
 * docs/mope.md reports the measured comparison with frozen heads.
 */
final class TopLayerTuner implements AutoCloseable {
    /** Settings: layers tuned, epochs, patience, batch, learning rates of the layers and of the head, seed. */
    record Config(int layers, int maxEpochs, int patience, int batch, double layerLr, double headLr, long seed) {
    }

    private final BertEncoder encoder;
    private final NDManager manager;
    private final int lowerDepth;
    private final BertEncoder.LayerWeights[] top;
    private double initialLoss = Double.NaN;
    private double bestLoss = Double.NaN;

    private TopLayerTuner(BertEncoder encoder, int layers) {
        if (layers < 1 || layers > encoder.layers()) {
            throw new IllegalArgumentException("layers to tune must be in [1, " + encoder.layers() + "], got " + layers);
        }
        this.encoder = encoder;
        this.manager = encoder.manager().newSubManager();
        this.lowerDepth = encoder.layers() - layers;
        this.top = new BertEncoder.LayerWeights[layers];
        for (int l = 0; l < layers; l++) {
            NDArray[] src = encoder.layerWeights(lowerDepth + l).w();
            NDArray[] copy = new NDArray[src.length];
            for (int i = 0; i < src.length; i++) {
                copy[i] = src[i].duplicate();
                copy[i].attach(manager);
            }
            top[l] = new BertEncoder.LayerWeights(copy);
        }
    }

    /** Validation L1 (log tokens) of the regression head before training (on the untouched layers). */
    double initialLoss() {
        return initialLoss;
    }

    /** Validation L1 (log tokens) of the kept (best) epoch. */
    double bestLoss() {
        return bestLoss;
    }

    /** The tuned encoder's mean-pooled embedding of one sequence. */
    float[] embed(int[] ids) {
        return encoder.embedWith(ids, lowerDepth, top);
    }

    /**
     * Fine-tunes the top layers on (token ids, log output tokens) pairs and returns the tuner holding the best
     * weights. {@code log} gets one line per epoch.
     */
    static TopLayerTuner train(BertEncoder encoder, List<int[]> ids, float[] logTokens, List<int[]> valIds,
            float[] valLogTokens, Config c, Consumer<String> log) {
        TopLayerTuner t = new TopLayerTuner(encoder, c.layers());
        try {
            t.fit(ids, logTokens, valIds, valLogTokens, c, log);
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private void fit(List<int[]> ids, float[] y, List<int[]> valIds, float[] vy, Config c, Consumer<String> log) {
        int hidden = encoder.hidden();
        int heads = encoder.heads();
        long t0 = System.nanoTime();
        float[][] lower = new float[ids.size()][];
        for (int i = 0; i < lower.length; i++) {
            lower[i] = encoder.hiddenStates(ids.get(i), lowerDepth);
        }
        float[][] vLower = new float[valIds.size()][];
        for (int i = 0; i < vLower.length; i++) {
            vLower[i] = encoder.hiddenStates(valIds.get(i), lowerDepth);
        }
        log.accept(String.format(Locale.ROOT, "  fine-tune: lower %d layers computed once for %d + %d prompts in %.1f s",
                lowerDepth, lower.length, vLower.length, (System.nanoTime() - t0) / 1e9));
        float[] sorted = y.clone();
        Arrays.sort(sorted);
        NDArray headW = manager.zeros(new Shape(1, hidden));
        NDArray headB = manager.create(new float[] {sorted[sorted.length / 2]});
        NDArray[] params = params(headW, headB);
        for (NDArray p : params) {
            p.setRequiresGradient(true);
        }
        float[][] w = new float[params.length][];
        float[][] m1 = new float[params.length][];
        float[][] m2 = new float[params.length][];
        for (int p = 0; p < params.length; p++) {
            w[p] = params[p].toFloatArray();
            m1[p] = new float[w[p].length];
            m2[p] = new float[w[p].length];
        }
        long step = 0;
        int skipped = 0;
        int[] order = new int[lower.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(c.seed());
        double best = validationL1(vLower, vy, headW, headB, hidden, heads);
        float[][] bestParams = snapshot(params);
        int bestEpoch = 0;
        initialLoss = best;
        log.accept(String.format(Locale.ROOT, "  fine-tune epoch 0: validation L1(log tokens) %.4f", best));
        for (int epoch = 1; epoch <= c.maxEpochs(); epoch++) {
            long e0 = System.nanoTime();
            for (int i = order.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int start = 0; start < order.length; start += c.batch()) {
                int end = Math.min(order.length, start + c.batch());
                try (NDManager sm = manager.newSubManager()) {
                    boolean finite;
                    try (GradientCollector gc = Engine.getEngine(BertEncoder.ENGINE).newGradientCollector()) {
                        NDArray loss = null;
                        for (int b = start; b < end; b++) {
                            int k = order[b];
                            NDArray pred = forward(sm, lower[k], headW, headB, hidden, heads);
                            NDArray l = pred.sub(sm.create(y[k])).abs(); // no sub(Number): see BertEncoder.layer
                            loss = loss == null ? l : loss.add(l);
                        }
                        loss = loss.mul(sm.create(1f / (end - start)));
                        finite = Float.isFinite(loss.getFloat());
                        if (finite) {
                            gc.backward(loss);
                        }
                    }
                    if (!finite) {
                        skipped++;
                        continue;
                    }
                    // Adam (beta 0.9 / 0.999, eps 1e-8) in plain Java on copies of the weights, written back with
                    // set(): simple, and no NDArray temporaries to manage. A batch with a non-finite gradient is
                    // skipped and counted (a guard: it has not happened since BertEncoder.layer stopped freeing its
                    // scalars under autograd).
                    float[][] grads = new float[params.length][];
                    for (int p = 0; p < params.length && finite; p++) {
                        try (NDArray g = params[p].getGradient()) {
                            grads[p] = g.toFloatArray();
                            g.muli(0f);
                        }
                        for (float f : grads[p]) {
                            finite &= Float.isFinite(f);
                        }
                    }
                    if (!finite) {
                        for (int p = 0; p < params.length; p++) {
                            try (NDArray g = params[p].getGradient()) {
                                g.muli(0f);
                            }
                        }
                        skipped++;
                        continue;
                    }
                    step++;
                    float bc1 = (float) (1 - Math.pow(0.9, step));
                    float bc2 = (float) (1 - Math.pow(0.999, step));
                    for (int p = 0; p < params.length; p++) {
                        float lr = (float) (p < params.length - 2 ? c.layerLr() : c.headLr());
                        float[] wp = w[p];
                        float[] gp = grads[p];
                        float[] a = m1[p];
                        float[] v = m2[p];
                        for (int i = 0; i < wp.length; i++) {
                            a[i] = 0.9f * a[i] + 0.1f * gp[i];
                            v[i] = 0.999f * v[i] + 0.001f * gp[i] * gp[i];
                            wp[i] -= lr * (a[i] / bc1) / ((float) Math.sqrt(v[i] / bc2) + 1e-8f);
                        }
                        params[p].set(wp);
                    }
                }
            }
            double val = validationL1(vLower, vy, headW, headB, hidden, heads);
            log.accept(String.format(Locale.ROOT, "  fine-tune epoch %d: validation L1(log tokens) %.4f (%.1f s%s)", epoch, val,
                    (System.nanoTime() - e0) / 1e9, skipped > 0 ? ", " + skipped + " non-finite batches skipped" : ""));
            if (!Double.isFinite(val)) {
                break; // diverged: keep the best epoch so far
            }
            if (val < best - 1e-5) {
                best = val;
                bestParams = snapshot(params);
                bestEpoch = epoch;
            } else if (epoch - bestEpoch >= c.patience()) {
                break;
            }
        }
        for (int p = 0; p < params.length; p++) {
            params[p].setRequiresGradient(false);
            params[p].set(bestParams[p]);
        }
        bestLoss = best;
        log.accept(String.format(Locale.ROOT, "  fine-tune: best epoch %d, validation L1(log tokens) %.4f", bestEpoch, best));
    }

    private NDArray[] params(NDArray headW, NDArray headB) {
        int per = top[0].w().length;
        NDArray[] p = new NDArray[top.length * per + 2];
        for (int l = 0; l < top.length; l++) {
            System.arraycopy(top[l].w(), 0, p, l * per, per);
        }
        p[p.length - 2] = headW;
        p[p.length - 1] = headB;
        return p;
    }

    private NDArray forward(NDManager m, float[] lowerStates, NDArray headW, NDArray headB, int hidden, int heads) {
        int n = lowerStates.length / hidden;
        NDArray x = m.create(lowerStates, new Shape(n, hidden));
        for (BertEncoder.LayerWeights l : top) {
            x = BertEncoder.layer(l, x, n, heads, hidden);
        }
        NDArray pooled = x.mean(new int[] {0}).reshape(1, hidden);
        return Linear.linear(pooled, headW, headB).singletonOrThrow().reshape(1);
    }

    private double validationL1(float[][] vLower, float[] vy, NDArray headW, NDArray headB, int hidden, int heads) {
        double sum = 0;
        for (int i = 0; i < vLower.length; i++) {
            try (NDManager m = manager.newSubManager()) {
                sum += Math.abs(forward(m, vLower[i], headW, headB, hidden, heads).getFloat(0) - vy[i]);
            }
        }
        return vLower.length == 0 ? Double.NaN : sum / vLower.length;
    }

    private static float[][] snapshot(NDArray[] params) {
        float[][] s = new float[params.length][];
        for (int i = 0; i < params.length; i++) {
            s[i] = params[i].toFloatArray();
        }
        return s;
    }

    @Override
    public void close() {
        manager.close();
    }
}

package dev.equinox.cost;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Whole steps reconstructed from measured operations, the way Vidur composes a step: layers x (linear ops at the
 * step's token count + attention at its batch/chunk and KV length + two all-reduces under TP) + embedding, plus
 * the measured CPU overhead at the same batch size where one was profiled. Only grid points where every GPU
 * component was measured are used (the all-reduce, profiled at fixed message sizes, is interpolated linearly in
 * bytes between its measured sizes). Times in milliseconds.
 */
final class ComposedSteps {
    private ComposedSteps() {
    }

    /**
     * One reconstructed step.
     *
     * @param prefill true for a prefill chunk, false for a decode batch
     * @param size    chunk tokens or decode batch size
     * @param kv      KV length (context before the chunk, or each decode sequence's context)
     * @param gpuMs   reconstructed GPU time
     * @param cpuMs   measured CPU overhead at this batch size, NaN where not profiled
     */
    record Step(boolean prefill, int size, int kv, double gpuMs, double cpuMs) {
        int prefillTokens() {
            return prefill ? size : 0;
        }

        long pairs() {
            return prefill ? (long) size * (kv + size) : 0;
        }

        int decodeSeqs() {
            return prefill ? 0 : size;
        }

        long decodeContext() {
            return prefill ? 0 : (long) size * kv;
        }
    }

    static List<Step> steps(Calibration c) {
        VidurProfiles.Table mlp = VidurProfiles.load(VidurProfiles.MLP);
        TreeMap<Integer, double[]> lin = new TreeMap<>();
        for (String[] r : CalibrationFitter.mlpRows(c.gpuKey, c.modelKey, c.tp)) {
            lin.put(Integer.parseInt(r[mlp.col("num_tokens")]),
                    new double[] {VidurProfiles.d(r, mlp.col("layer_sum_ms")), VidurProfiles.d(r, mlp.col("emb"))});
        }
        TreeMap<Integer, Double> cpu = new TreeMap<>();
        for (double[] r : CalibrationFitter.cpuRows(c.cpuModelKey)) {
            cpu.put((int) r[0], r[1]);
        }
        TreeMap<Double, double[]> ar = new TreeMap<>();
        if (c.tp > 1) {
            for (double[] r : CalibrationFitter.allReduceRows(c.gpuKey + "_dgx", c.tp)) {
                ar.merge(r[0], new double[] {r[1], 1}, (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
            }
        }
        List<Step> out = new ArrayList<>();
        for (boolean prefill : new boolean[] {false, true}) {
            double[][] rows = prefill ? CalibrationFitter.prefillRows(c.attentionFile)
                    : CalibrationFitter.decodeRows(c.attentionFile);
            for (double[] r : rows) {
                int size = (int) r[0];
                double[] l = lin.get(size);
                if (l == null) {
                    continue;
                }
                double perLayer = l[0] + r[2];
                if (c.tp > 1) {
                    perLayer += 2 * interpolate(ar, (double) size * c.hidden * 2);
                }
                double gpu = c.layers * perLayer + l[1];
                Double cpuMs = prefill ? null : cpu.get(size);
                out.add(new Step(prefill, size, (int) r[1], gpu, cpuMs == null ? Double.NaN : cpuMs));
            }
        }
        return out;
    }

    /** Piecewise-linear in bytes over the mean of each measured size; flat below the smallest. */
    private static double interpolate(TreeMap<Double, double[]> ar, double bytes) {
        var lo = ar.floorEntry(bytes);
        var hi = ar.ceilingEntry(bytes);
        if (lo == null) {
            return mean(hi.getValue());
        }
        if (hi == null) {
            var prev = ar.lowerEntry(lo.getKey());
            double slope = (mean(lo.getValue()) - mean(prev.getValue())) / (lo.getKey() - prev.getKey());
            return mean(lo.getValue()) + slope * (bytes - lo.getKey());
        }
        if (lo.getKey().equals(hi.getKey())) {
            return mean(lo.getValue());
        }
        double f = (bytes - lo.getKey()) / (hi.getKey() - lo.getKey());
        return mean(lo.getValue()) + f * (mean(hi.getValue()) - mean(lo.getValue()));
    }

    private static double mean(double[] sumCount) {
        return sumCount[0] / sumCount[1];
    }
}

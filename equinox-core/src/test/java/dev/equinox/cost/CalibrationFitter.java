package dev.equinox.cost;

import java.util.List;

/**
 * Re-derives every {@link Calibration} coefficient from the Vidur CSVs in the test resources, with the same
 * procedure that produced the constants in {@link Calibration} (run {@link CalibratedCostModelTest} to print
 * them). All times in milliseconds.
 *
 * <ul>
 * <li>linear ops per layer ({@code layer_sum_ms} vs tokens): {@link LeastSquares#fitSmoothRoofline};</li>
 * <li>embedding ({@code emb} vs tokens), decode attention ({@code 1, batch, batch x kv}), prefill attention
 * ({@code 1, chunk, chunk x (kv + chunk)}), all-reduce ({@code 1, bytes}) and CPU overhead per step
 * ({@code 1, batch} against schedule + sampler + prepare inputs + process outputs): non-negative relative least
 * squares ({@link LeastSquares#fitRelativeNonNegative}).</li>
 * </ul>
 */
final class CalibrationFitter {
    private CalibrationFitter() {
    }

    /** What {@link Calibration} stores, re-fitted. */
    record Fit(double[] linear, double[] emb, double[] decode, double[] prefill, double[] allReduce, double[] cpu) {
    }

    static Fit fit(Calibration c) {
        return new Fit(linear(c.gpuKey, c.modelKey, c.tp), emb(c.gpuKey, c.modelKey, c.tp),
                decodeAttention(c.attentionFile), prefillAttention(c.attentionFile),
                c.tp == 1 ? new double[] {0, 0} : allReduce(c.gpuKey + "_dgx", c.tp), cpu(c.cpuModelKey));
    }

    static List<String[]> mlpRows(String gpu, String model, int tp) {
        VidurProfiles.Table t = VidurProfiles.load(VidurProfiles.MLP);
        int g = t.col("gpu");
        int m = t.col("model");
        int p = t.col("tp");
        return t.where(r -> r[g].equals(gpu) && r[m].equals(model) && Integer.parseInt(r[p]) == tp);
    }

    static double[] linear(String gpu, String model, int tp) {
        VidurProfiles.Table t = VidurProfiles.load(VidurProfiles.MLP);
        List<String[]> rows = mlpRows(gpu, model, tp);
        double[] n = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = VidurProfiles.d(rows.get(i), t.col("num_tokens"));
            y[i] = VidurProfiles.d(rows.get(i), t.col("layer_sum_ms"));
        }
        return LeastSquares.fitSmoothRoofline(n, y);
    }

    static double[] emb(String gpu, String model, int tp) {
        VidurProfiles.Table t = VidurProfiles.load(VidurProfiles.MLP);
        List<String[]> rows = mlpRows(gpu, model, tp);
        double[][] x = new double[rows.size()][];
        double[] y = new double[rows.size()];
        for (int i = 0; i < y.length; i++) {
            x[i] = new double[] {1, VidurProfiles.d(rows.get(i), t.col("num_tokens"))};
            y[i] = VidurProfiles.d(rows.get(i), t.col("emb"));
        }
        return LeastSquares.fitRelativeNonNegative(x, y);
    }

    /** Decode attention rows of an attention file as {batch, kv, ms}. */
    static double[][] decodeRows(String file) {
        return attentionRows(file, true);
    }

    /** Prefill attention rows of an attention file as {chunk, kv, ms}. */
    static double[][] prefillRows(String file) {
        return attentionRows(file, false);
    }

    private static double[][] attentionRows(String file, boolean decode) {
        VidurProfiles.Table t = VidurProfiles.load(file);
        List<String[]> rows = t.where(r -> r[0].equals(decode ? "decode" : "prefill"));
        boolean sample = file.equals(VidurProfiles.ATTN_7B);
        int size = sample ? t.col("batch_or_chunk") : t.col(decode ? "batch_size" : "prefill_chunk_size");
        int kv = t.col(sample ? "kv_cache_tokens" : "kv_cache_size");
        int ms = t.col("attn_ms_per_layer");
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            String[] r = rows.get(i);
            out[i] = new double[] {VidurProfiles.d(r, size), VidurProfiles.d(r, kv), VidurProfiles.d(r, ms)};
        }
        return out;
    }

    static double[] decodeAttention(String file) {
        double[][] rows = decodeRows(file);
        double[][] x = new double[rows.length][];
        double[] y = new double[rows.length];
        for (int i = 0; i < y.length; i++) {
            x[i] = new double[] {1, rows[i][0], rows[i][0] * rows[i][1]};
            y[i] = rows[i][2];
        }
        return LeastSquares.fitRelativeNonNegative(x, y);
    }

    static double[] prefillAttention(String file) {
        double[][] rows = prefillRows(file);
        double[][] x = new double[rows.length][];
        double[] y = new double[rows.length];
        for (int i = 0; i < y.length; i++) {
            double c = rows[i][0];
            x[i] = new double[] {1, c, c * (rows[i][1] + c)};
            y[i] = rows[i][2];
        }
        return LeastSquares.fitRelativeNonNegative(x, y);
    }

    /** All-reduce rows of one network and GPU count as {bytes, ms}. */
    static double[][] allReduceRows(String network, int gpus) {
        VidurProfiles.Table t = VidurProfiles.load(VidurProfiles.ALLREDUCE);
        List<String[]> rows = t.where(r -> r[0].equals(network) && Integer.parseInt(r[1]) == gpus);
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[] {VidurProfiles.d(rows.get(i), 2), VidurProfiles.d(rows.get(i), 3)};
        }
        return out;
    }

    static double[] allReduce(String network, int gpus) {
        double[][] rows = allReduceRows(network, gpus);
        double[][] x = new double[rows.length][];
        double[] y = new double[rows.length];
        for (int i = 0; i < y.length; i++) {
            x[i] = new double[] {1, rows[i][0]};
            y[i] = rows[i][1];
        }
        return LeastSquares.fitRelativeNonNegative(x, y);
    }

    /** CPU overhead rows of one model as {batch, ms}: schedule + sampler + prepare inputs + process outputs. */
    static double[][] cpuRows(String model) {
        VidurProfiles.Table t = VidurProfiles.load(VidurProfiles.CPU);
        List<String[]> rows = t.where(r -> r[0].equals(model));
        int[] cols = {t.col("schedule_median"), t.col("sampler_e2e_median"), t.col("prepare_inputs_e2e_median"),
            t.col("process_model_outputs_median")};
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            double sum = 0;
            for (int c : cols) {
                sum += VidurProfiles.d(rows.get(i), c);
            }
            out[i] = new double[] {VidurProfiles.d(rows.get(i), t.col("batch_size")), sum};
        }
        return out;
    }

    static double[] cpu(String model) {
        double[][] rows = cpuRows(model);
        double[][] x = new double[rows.length][];
        double[] y = new double[rows.length];
        for (int i = 0; i < y.length; i++) {
            x[i] = new double[] {1, rows[i][0]};
            y[i] = rows[i][1];
        }
        return LeastSquares.fitRelativeNonNegative(x, y);
    }
}

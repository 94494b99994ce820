package dev.equinox.cost;

/**
 * Coefficients of {@link CalibratedCostModel}, fitted to the Vidur profiler's per-operation measurements
 * (microsoft/vidur, MIT). Times are milliseconds per transformer layer on one GPU's shard unless noted. How each
 * group was fitted, and its measured error, is in {@code docs/cost-model.md}; the test
 * {@code CalibratedCostModelTest} re-fits every constant from the CSVs and fails if one drifts.
 *
 * <p>Measured and derived parts: linear ops and embedding are measured for every preset (GPU, model and TP
 * degree). Attention was profiled only on A100, for Llama-2-7B at TP1 and Llama-2-70B at TP2; other TP degrees
 * scale it by the share of heads per GPU (2 / TP), and H100 presets by the HBM bandwidth ratio 2.0 / 3.35 (an
 * assumption, not a measurement). All-reduce is measured for 2, 4 and 8 GPUs on A100 and H100 DGX nodes. CPU
 * overhead was profiled on A100 hosts for Llama-2-7B (TP1) and Llama-2-70B (TP4) and is reused for the other
 * presets of the same model.
 */
public enum Calibration {
    /** Llama-2-7B on one A100-80GB; every group measured. The simulator's default. */
    LLAMA2_7B_A100_TP1("llama-2-7b a100 tp1", Src.A100, Src.L7, 32, 4096, 1, Src.ATTN_7B, 1.0, Src.CPU_7B,
            new double[] {0.285173, 0.00200923, 2.21}, new double[] {0.0035798, 4.99951e-05},
            new double[] {0.00872334, 0.000963775, 9.06151e-06}, new double[] {0.00989334, 6.62508e-05, 1.49818e-07},
            new double[] {0, 0}, new double[] {0.82633, 0.0418375}),
    /** Llama-2-7B on one H100 SXM; attention scaled from A100. */
    LLAMA2_7B_H100_TP1("llama-2-7b h100 tp1", Src.H100, Src.L7, 32, 4096, 1, Src.ATTN_7B, Src.H100_OVER_A100,
            Src.CPU_7B,
            new double[] {0.173564, 0.000600966, 1.5}, new double[] {0.0026559, 2.65601e-05},
            new double[] {0.00872334, 0.000963775, 9.06151e-06}, new double[] {0.00989334, 6.62508e-05, 1.49818e-07},
            new double[] {0, 0}, new double[] {0.82633, 0.0418375}),
    /** Llama-2-70B over 2 A100-80GB (NVLink); attention measured at this TP degree. */
    LLAMA2_70B_A100_TP2("llama-2-70b a100 tp2", Src.A100, Src.L70, 80, 8192, 2, Src.ATTN_70B, 1.0, Src.CPU_70B,
            new double[] {0.571898, 0.0039324, 1.96}, new double[] {0.00373108, 9.73021e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0407239, 5.98274e-09}, new double[] {1.41522, 0.0426403}),
    /** Llama-2-70B over 4 A100-80GB; attention scaled from TP2. */
    LLAMA2_70B_A100_TP4("llama-2-70b a100 tp4", Src.A100, Src.L70, 80, 8192, 4, Src.ATTN_70B, 0.5, Src.CPU_70B,
            new double[] {0.314058, 0.00204391, 1.85}, new double[] {0.0037589, 9.42384e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0222907, 1.05094e-08}, new double[] {1.41522, 0.0426403}),
    /** Llama-2-70B over 8 A100-80GB; attention scaled from TP2. */
    LLAMA2_70B_A100_TP8("llama-2-70b a100 tp8", Src.A100, Src.L70, 80, 8192, 8, Src.ATTN_70B, 0.25, Src.CPU_70B,
            new double[] {0.175967, 0.0010906, 1.62}, new double[] {0.00380158, 9.04139e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0294722, 1.29719e-08}, new double[] {1.41522, 0.0426403}),
    /** Llama-2-70B over 2 H100 SXM; attention scaled from A100 TP2. */
    LLAMA2_70B_H100_TP2("llama-2-70b h100 tp2", Src.H100, Src.L70, 80, 8192, 2, Src.ATTN_70B, Src.H100_OVER_A100,
            Src.CPU_70B,
            new double[] {0.325188, 0.00136416, 3.36}, new double[] {0.00271644, 5.1979e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0108681, 4.22362e-09}, new double[] {1.41522, 0.0426403}),
    /** Llama-2-70B over 4 H100 SXM; attention scaled from A100 TP2. */
    LLAMA2_70B_H100_TP4("llama-2-70b h100 tp4", Src.H100, Src.L70, 80, 8192, 4, Src.ATTN_70B,
            0.5 * Src.H100_OVER_A100, Src.CPU_70B,
            new double[] {0.183896, 0.00069352, 2.39}, new double[] {0.00274038, 5.03006e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0358078, 3.5359e-09}, new double[] {1.41522, 0.0426403}),
    /** Llama-2-70B over 8 H100 SXM; attention scaled from A100 TP2. */
    LLAMA2_70B_H100_TP8("llama-2-70b h100 tp8", Src.H100, Src.L70, 80, 8192, 8, Src.ATTN_70B,
            0.25 * Src.H100_OVER_A100, Src.CPU_70B,
            new double[] {0.106139, 0.000375098, 1.81}, new double[] {0.00274754, 4.94369e-05},
            new double[] {0.0154818, 1.78093e-05, 1.42042e-06}, new double[] {0.00832985, 6.6768e-05, 1.20238e-07},
            new double[] {0.0265787, 5.14006e-09}, new double[] {1.41522, 0.0426403});

    /** Names of the profile sources, as they appear in the CSVs. */
    static final class Src {
        static final String A100 = "a100";
        static final String H100 = "h100";
        static final String L7 = "Llama-2-7b-hf";
        static final String L70 = "Llama-2-70b-hf";
        static final String ATTN_7B = "vidur_attention_a100_llama2_7b_tp1_sample.csv";
        static final String ATTN_70B = "vidur_attention_a100_llama2_70b_tp2_old.csv";
        static final String CPU_7B = "meta-llama/Llama-2-7b-hf";
        static final String CPU_70B = "meta-llama/Llama-2-70b-hf";
        /** Datasheet HBM bandwidth of A100-80GB over H100 SXM (2.0 / 3.35 TB/s); scales unprofiled attention. */
        static final double H100_OVER_A100 = 2.0 / 3.35;

        private Src() {
        }
    }

    final String label;
    final String gpuKey;
    final String modelKey;
    final int layers;
    final int hidden;
    final int tp;
    final String attentionFile;
    /** Factor on the fitted attention coefficients (1 where attention was profiled for this preset). */
    final double attentionScale;
    final String cpuModelKey;
    /** Linear ops per layer vs tokens n: {m, k, p} of {@code (m^p + (k n)^p)^(1/p)}. */
    final double[] linear;
    /** Embedding, once per step: {e0, e1} of {@code e0 + e1 n}. */
    final double[] emb;
    /** Decode attention per layer, as profiled: {a0, a1, a2} of {@code a0 + a1 B + a2 sum(kv)}. */
    final double[] decode;
    /** Prefill attention per layer, as profiled: {b0, b1, b2} of {@code b0 + b1 c + b2 c (kv + c)}. */
    final double[] prefill;
    /** One all-reduce: {latency ms, ms per byte}; zeros without tensor parallelism. */
    final double[] allReduce;
    /** CPU overhead per step (not per layer): {c0, c1} of {@code c0 + c1 sequences}. */
    final double[] cpu;

    Calibration(String label, String gpuKey, String modelKey, int layers, int hidden, int tp, String attentionFile,
            double attentionScale, String cpuModelKey, double[] linear, double[] emb, double[] decode,
            double[] prefill, double[] allReduce, double[] cpu) {
        this.label = label;
        this.gpuKey = gpuKey;
        this.modelKey = modelKey;
        this.layers = layers;
        this.hidden = hidden;
        this.tp = tp;
        this.attentionFile = attentionFile;
        this.attentionScale = attentionScale;
        this.cpuModelKey = cpuModelKey;
        this.linear = linear;
        this.emb = emb;
        this.decode = decode;
        this.prefill = prefill;
        this.allReduce = allReduce;
        this.cpu = cpu;
    }

    /** A short label, e.g. {@code "llama-2-7b a100 tp1"}. */
    public String label() {
        return label;
    }

    /** Tensor-parallel degree (GPUs per model replica). */
    public int tensorParallel() {
        return tp;
    }
}

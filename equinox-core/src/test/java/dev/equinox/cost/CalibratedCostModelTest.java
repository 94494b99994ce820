package dev.equinox.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Re-fits the calibrated model from the Vidur CSVs in the test resources and measures its error, and the plain
 * datasheet roofline's, against them. Prints the error table of {@code docs/cost-model.md}:
 * {@code ./mvnw -q -pl equinox-core test -Dtest=CalibratedCostModelTest}.
 */
class CalibratedCostModelTest {
    private static final StringBuilder TABLE = new StringBuilder();
    private static final StringBuilder EFFICIENCY = new StringBuilder();

    /** Relative errors of one comparison. */
    record Err(int n, double median, double max, double medianRatio, double maxRatio) {
        static Err of(List<double[]> predictedMeasured) {
            double[] abs = new double[predictedMeasured.size()];
            double[] ratio = new double[abs.length];
            for (int i = 0; i < abs.length; i++) {
                double[] pm = predictedMeasured.get(i);
                abs[i] = Math.abs(pm[0] / pm[1] - 1);
                ratio[i] = pm[1] / pm[0];
            }
            return new Err(abs.length, median(abs), Arrays.stream(abs).max().orElse(0), median(ratio),
                    Arrays.stream(ratio).max().orElse(0));
        }

        private static double median(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }
    }

    private static Err row(String what, String setup, List<double[]> pm) {
        Err e = Err.of(pm);
        TABLE.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f %% | %.1f %% | %.2f | %.2f |%n", what, setup,
                e.n(), 100 * e.median(), 100 * e.max(), e.medianRatio(), e.maxRatio()));
        return e;
    }

    @AfterAll
    static void printTable() {
        System.out.println("| what | setup | points | median abs. rel. error | max abs. rel. error"
                + " | median measured/model | max measured/model |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.print(TABLE);
        System.out.println();
        System.out.println("| setup | HBM efficiency of the linear-op plateau | tensor efficiency of the linear-op slope |");
        System.out.println("|---|---|---|");
        System.out.print(EFFICIENCY);
    }

    @Test
    void fit_vidurCsvs_reproducesEveryCalibrationConstant() {
        for (Calibration c : Calibration.values()) {
            CalibrationFitter.Fit f = CalibrationFitter.fit(c);
            assertClose(c + " linear", f.linear(), c.linear);
            assertClose(c + " emb", f.emb(), c.emb);
            assertClose(c + " decode attention", f.decode(), c.decode);
            assertClose(c + " prefill attention", f.prefill(), c.prefill);
            assertClose(c + " all-reduce", f.allReduce(), c.allReduce);
            assertClose(c + " cpu", f.cpu(), c.cpu);
        }
    }

    private static void assertClose(String what, double[] refit, double[] constant) {
        assertEquals(constant.length, refit.length, what);
        for (int i = 0; i < refit.length; i++) {
            assertEquals(refit[i], constant[i], 1e-5 * Math.abs(refit[i]) + 1e-15,
                    what + "[" + i + "] drifted: re-fit " + refit[i] + ", constant " + constant[i]);
        }
    }

    @Test
    void perOperation_calibratedFits_withinMeasuredBounds() {
        VidurProfiles.Table mlp = VidurProfiles.load(VidurProfiles.MLP);
        for (Calibration c : Calibration.values()) {
            List<double[]> lin = new ArrayList<>();
            for (String[] r : CalibrationFitter.mlpRows(c.gpuKey, c.modelKey, c.tp)) {
                double n = VidurProfiles.d(r, mlp.col("num_tokens"));
                lin.add(new double[] {LeastSquares.smoothRoofline(c.linear[0], c.linear[1], c.linear[2], n),
                    VidurProfiles.d(r, mlp.col("layer_sum_ms"))});
            }
            Err e = row("linear ops per layer vs tokens", c.label, lin);
            assertTrue(e.median() < 0.03 && e.max() < 0.12, c + " linear ops " + e);
        }
        for (Calibration c : new Calibration[] {Calibration.LLAMA2_7B_A100_TP1, Calibration.LLAMA2_70B_A100_TP2}) {
            List<double[]> dec = new ArrayList<>();
            for (double[] r : CalibrationFitter.decodeRows(c.attentionFile)) {
                dec.add(new double[] {c.decode[0] + c.decode[1] * r[0] + c.decode[2] * r[0] * r[1], r[2]});
            }
            Err d = row("decode attention per layer", c.label, dec);
            assertTrue(d.median() < 0.12 && d.max() < 0.35, c + " decode attention " + d);
            List<double[]> pre = new ArrayList<>();
            for (double[] r : CalibrationFitter.prefillRows(c.attentionFile)) {
                double p = c.prefill[0] + c.prefill[1] * r[0] + c.prefill[2] * r[0] * (r[1] + r[0]);
                pre.add(new double[] {p, r[2]});
            }
            Err p = row("prefill attention per layer", c.label, pre);
            assertTrue(p.median() < 0.08 && p.max() < 0.40, c + " prefill attention " + p);
        }
        for (Calibration c : Calibration.values()) {
            if (c.tp == 1 || c.modelKey.equals(Calibration.Src.L7)) {
                continue;
            }
            List<double[]> ar = new ArrayList<>();
            for (double[] r : CalibrationFitter.allReduceRows(c.gpuKey + "_dgx", c.tp)) {
                ar.add(new double[] {c.allReduce[0] + c.allReduce[1] * r[0], r[1]});
            }
            Err a = row("all-reduce vs bytes", c.gpuKey + " dgx " + c.tp + " gpus", ar);
            assertTrue(a.median() < 0.40 && a.max() < 0.75, c + " all-reduce " + a);
        }
        for (Calibration c : new Calibration[] {Calibration.LLAMA2_7B_A100_TP1, Calibration.LLAMA2_70B_A100_TP4}) {
            List<double[]> cpu = new ArrayList<>();
            for (double[] r : CalibrationFitter.cpuRows(c.cpuModelKey)) {
                cpu.add(new double[] {c.cpu[0] + c.cpu[1] * r[0], r[1]});
            }
            Err e = row("CPU overhead per step vs batch", c.cpuModelKey, cpu);
            assertTrue(e.median() < 0.02 && e.max() < 0.04, c + " cpu " + e);
        }
    }

    /**
     * What the linear-op fit says about the hardware: layer weight bytes / (plateau x datasheet HBM bandwidth) and
     * layer FLOPs per token / (slope x datasheet peak).
     */
    @Test
    void linearFit_impliedEfficiency_belowDatasheetPeak() {
        for (Calibration c : Calibration.values()) {
            Gpu gpu = c.gpuKey.equals(Calibration.Src.A100) ? Gpu.A100_80GB : Gpu.H100_SXM;
            ModelShape shape = (c.layers == 32 ? ModelShape.LLAMA2_7B : ModelShape.LLAMA2_70B).withTensorParallel(c.tp);
            double layerParams = (double) shape.paramsPerLayer() / c.tp;
            double memory = layerParams * shape.bytesPerParam() / (c.linear[0] * 1e-3 * gpu.memoryBandwidth());
            double compute = 2 * layerParams / (c.linear[1] * 1e-3 * gpu.peakFlops());
            EFFICIENCY.append(String.format(Locale.ROOT, "| %s | %.0f %% | %.0f %% |%n", c.label, 100 * memory,
                    100 * compute));
            assertTrue(memory > 0.4 && memory < 1.0, c + " memory efficiency " + memory);
            assertTrue(compute > 0.4 && compute < 1.0, c + " compute efficiency " + compute);
        }
    }

    @Test
    void composedSteps_calibratedModel_withinBoundAndDatasheetRooflineUnderestimates() {
        composed(Calibration.LLAMA2_7B_A100_TP1, ModelShape.LLAMA2_7B);
        composed(Calibration.LLAMA2_70B_A100_TP2, ModelShape.LLAMA2_70B.withTensorParallel(2));
    }

    private static void composed(Calibration c, ModelShape shape) {
        CalibratedCostModel cal = CostModels.calibrated(c);
        RooflineCostModel roof = CostModels.roofline(Gpu.A100_80GB, shape);
        List<double[]> calDecode = new ArrayList<>();
        List<double[]> calPrefill = new ArrayList<>();
        List<double[]> calFull = new ArrayList<>();
        List<double[]> roofDecode = new ArrayList<>();
        List<double[]> roofPrefill = new ArrayList<>();
        List<double[]> roofFull = new ArrayList<>();
        for (ComposedSteps.Step s : ComposedSteps.steps(c)) {
            double step = 1e3 * cal.stepSeconds(s.prefillTokens(), s.pairs(), s.decodeSeqs(), s.decodeContext());
            double gpu = step - 1e3 * cal.cpuOverheadSeconds(s.prefill() ? 1 : s.size());
            double rf = 1e3 * roof.stepSeconds(s.prefillTokens(), s.pairs(), s.decodeSeqs(), s.decodeContext());
            (s.prefill() ? calPrefill : calDecode).add(new double[] {gpu, s.gpuMs()});
            (s.prefill() ? roofPrefill : roofDecode).add(new double[] {rf, s.gpuMs()});
            if (!Double.isNaN(s.cpuMs())) {
                calFull.add(new double[] {step, s.gpuMs() + s.cpuMs()});
                roofFull.add(new double[] {rf, s.gpuMs() + s.cpuMs()});
            }
        }
        Err d = row("decode step, GPU (calibrated)", c.label, calDecode);
        Err p = row("prefill step, GPU (calibrated)", c.label, calPrefill);
        Err f = row("decode step incl. CPU, batch >= 8 (calibrated)", c.label, calFull);
        Err rd = row("decode step, GPU (datasheet roofline)", c.label, roofDecode);
        Err rp = row("prefill step, GPU (datasheet roofline)", c.label, roofPrefill);
        Err rf = row("decode step incl. CPU, batch >= 8 (datasheet roofline)", c.label, roofFull);
        assertTrue(d.median() < 0.05 && d.max() < 0.20, c + " decode " + d);
        assertTrue(p.median() < 0.05 && p.max() < 0.15, c + " prefill " + p);
        assertTrue(f.median() < 0.05 && f.max() < 0.15, c + " full " + f);
        // the datasheet roofline is optimistic: measured steps take longer than it predicts
        assertTrue(rd.medianRatio() > 1.3, c + " roofline decode " + rd);
        assertTrue(rf.medianRatio() > rd.medianRatio(), c + " roofline full " + rf);
        assertTrue(rp.medianRatio() > 1.0, c + " roofline prefill " + rp);
    }
}

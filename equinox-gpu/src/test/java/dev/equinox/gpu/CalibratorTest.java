package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.equinox.cost.CostModels;
import dev.equinox.cost.ProfileCostModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibratorTest {

    @Test
    void run_cpuReferenceGrid_measuresEveryFittingPointAndWritesCsv(@TempDir Path dir) throws Exception {
        try (Calibrator cal = Calibrator.forCpuReference(LlamaConfig.tiny(), 64, 4, 64, 8)) {
            Calibrator.Grid grid = new Calibrator.Grid(new int[] {0, 8}, new int[] {0, 2}, new int[] {4, 12}, 1, 3);
            List<Calibrator.Row> rows = cal.run(grid);
            // (8, 0) once (context is irrelevant without decodes), (0, 2) and (8, 2) at both contexts
            assertEquals(5, rows.size());
            for (Calibrator.Row r : rows) {
                assertTrue(r.stepMs() > 0, r.toString());
                assertTrue(Double.isNaN(r.deviceMs()), "no CUDA events on the CPU reference");
                assertEquals(r.prefillTokens() + r.decodeSeqs(), r.tokens());
                assertEquals(r.decodeSeqs() == 0 ? 0 : (long) r.decodeSeqs() * (r.contextPerSeq() + 2), r.decodeContextTokens());
            }
            assertEquals(0, cal.skipped().size());
            Path csv = dir.resolve("sub/profile.csv");
            Calibrator.writeCsv(rows, csv, cal.describe());
            List<String> lines = Files.readAllLines(csv);
            assertTrue(lines.get(0).startsWith("# equinox-gpu calibration: cpu-reference, tiny"), lines.get(0));
            assertEquals(Calibrator.CSV_HEADER, lines.get(1));
            assertEquals(7, lines.size());
            // 2 decodes at context 5, 6, 7 in the 3 timed steps (after 1 warmup at 4): sums 10, 12, 14 -> mean 12
            assertTrue(lines.get(2).startsWith("0,2,12,"), lines.get(2));
            assertTrue(lines.get(2).endsWith(",NaN,2,4"), lines.get(2));

            // the core's profile cost model reads the file as written
            ProfileCostModel model = CostModels.profile(csv, 0);
            assertTrue(model.stepSeconds(8, 64, 2, 24) > 0);
        }
    }

    @Test
    void run_pointLargerThanKvCache_isSkippedWithReason() {
        try (Calibrator cal = Calibrator.forCpuReference(LlamaConfig.tiny(), 8, 4, 64, 8)) {
            List<Calibrator.Row> rows = cal.run(new Calibrator.Grid(new int[] {0}, new int[] {4}, new int[] {2, 40}, 0, 1));
            assertEquals(1, rows.size());
            assertEquals(1, cal.skipped().size());
            assertTrue(cal.skipped().get(0).contains("KV blocks needed"), cal.skipped().get(0));
            assertNull(cal.fits(0, 4, 2, 1));
            assertTrue(cal.fits(100, 0, 1, 1).contains("step limit"));
        }
    }

    @Test
    void run_afterCalibration_leavesKvCacheEmpty() {
        GpuExecutor ex = GpuExecutor.cpuReference(LlamaConfig.tiny(), 32, 4);
        Calibrator cal = new Calibrator(ex, 64, 8, Integer.MAX_VALUE);
        cal.run(new Calibrator.Grid(new int[] {5}, new int[] {3}, new int[] {6}, 1, 2));
        assertEquals(0, ex.usedKvBlocks());
        assertEquals(0, ex.kv().liveSequences());
    }

    @Test
    void forGpu_noGpu_refusesNamingTheReason() {
        assumeFalse(GpuProbe.probe().cudaAvailable(), "this machine has a GPU");
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class,
                () -> Calibrator.forGpu(LlamaConfig.tiny(), 64, 16, 512, 64, 1024));
        assertTrue(e.getMessage().startsWith("calibration needs a GPU: "), e.getMessage());
    }

    @Test
    void median_oddEvenAndNaN_behaveAsDocumented() {
        assertEquals(2.0, Calibrator.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Calibrator.median(new double[] {4, 1, 2, 3}));
        assertTrue(Double.isNaN(Calibrator.median(new double[] {Double.NaN, Double.NaN})));
    }

    @Test
    void grid_invalidValues_areRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Calibrator.Grid(new int[] {-1}, new int[] {0}, new int[] {1}, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Calibrator.Grid(new int[] {1}, new int[] {0}, new int[] {0}, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Calibrator.Grid(new int[] {1}, new int[] {0}, new int[] {1}, 0, 0));
    }

    @Test
    void run_pointBeyondMaxContext_isSkippedWithReasonInsteadOfFailingTheRun() {
        int maxContext = 16;
        CpuReference cpu = new CpuReference(LlamaConfig.tiny(), 64, 4);
        ModelRunner limited = new ModelRunner() { // enforces the block-table width as GpuModel does
            @Override
            public void forward(StepPlan plan, int[] sampled) {
                if (plan.maxBlocks > KvBlockManager.blocksFor(maxContext, 4)) {
                    throw new IllegalStateException(plan.maxBlocks + " blocks per sequence exceed the block table");
                }
                cpu.forward(plan, sampled);
            }

            @Override
            public long lastDeviceNanos() {
                return -1;
            }

            @Override
            public String describe() {
                return "limited";
            }

            @Override
            public void close() {
            }
        };
        try (Calibrator cal = new Calibrator(new GpuExecutor(LlamaConfig.tiny(), limited, 64, 4, null), 64, 8, maxContext)) {
            List<Calibrator.Row> rows = cal.run(new Calibrator.Grid(new int[] {0, 8, 32}, new int[] {0, 2}, new int[] {4, 40}, 1, 2));
            // measured: (8,0), (0,2,4), (8,2,4); skipped: (0,2,40), (8,2,40), (32,*) for the prefill or the step limit
            assertEquals(3, rows.size(), cal.skipped().toString());
            assertTrue(cal.skipped().stream().anyMatch(s -> s.startsWith("0,2,40: context 42 exceeds the executor's max context 16")),
                    cal.skipped().toString());
            assertTrue(cal.skipped().stream().anyMatch(s -> s.startsWith("32,0,4: context 32 exceeds")), cal.skipped().toString());
        }
    }
}

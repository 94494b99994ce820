package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandsTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as with the cpu(...) defaults
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void calibrate_noGpu_refusesWithExitCode2AndReason(@TempDir Path dir) {
        assumeFalse(GpuProbe.probe().cudaAvailable(), "this machine has a GPU");
        Path csv = dir.resolve("c.csv");
        assertEquals(2, run(new CalibrateCommand(), "--model", "tiny", "--out", csv.toString()));
        assertTrue(err.toString().contains("calibration needs a GPU"), err.toString());
        assertTrue(Files.notExists(csv), "no profile is written without a GPU");
    }

    @Test
    void calibrate_cpuBackend_writesProfileAndSaysItIsNotAGpuProfile(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("c.csv");
        int rc = run(new CalibrateCommand(), "--backend", "cpu", "--model", "tiny", "--kv-blocks", "64", "--block-size", "4",
                "--max-tokens", "64", "--max-seqs", "8", "--prefill", "0,8", "--decode", "0,2", "--context", "4",
                "--warmup", "0", "--repeats", "1", "--out", csv.toString());
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("NOT a GPU profile"));
        List<String> lines = Files.readAllLines(csv);
        assertEquals(Calibrator.CSV_HEADER, lines.get(1));
        assertEquals(5, lines.size());
    }

    @Test
    void serveBench_noGpu_refusesWithExitCode2() {
        assumeFalse(GpuProbe.probe().cudaAvailable(), "this machine has a GPU");
        assertEquals(2, run(new ServeBenchCommand(), "--model", "tiny"));
        assertTrue(err.toString().contains("GPU unavailable"), err.toString());
    }

    @Test
    void serveBench_cpuBackendTinyModel_servesEveryRequest(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("r.csv");
        int rc = run(new ServeBenchCommand(), "--backend", "cpu", "--model", "tiny", "--policy", "vtc", "--requests", "8",
                "--tenants", "2", "--rate", "0", "--prompt", "12", "--output", "4", "--kv-blocks", "128", "--block-size", "4",
                "--token-budget", "64", "--max-running", "8", "--chunk", "16", "--max-context", "256", "--csv", csv.toString());
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("finished 8"), out.toString());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(9, lines.size());
        assertTrue(lines.stream().skip(1).allMatch(l -> l.contains(",FINISHED,STOP,")), String.join("\n", lines));
    }

    @Test
    void workload_seeded_isReproducibleWithPoissonArrivals() {
        List<BenchRequest> a = ServeBenchCommand.workload(200, 3, 10, 100, 20, 7);
        assertEquals(a, ServeBenchCommand.workload(200, 3, 10, 100, 20, 7));
        assertEquals(0.0, a.get(0).arrivalSeconds());
        double span = a.get(199).arrivalSeconds();
        assertTrue(span > 14 && span < 26, "199 gaps of mean 0.1 s: " + span);
        assertEquals("tenant-2", a.get(5).tenant());
        assertTrue(a.stream().allMatch(r -> r.promptTokens() >= 50 && r.promptTokens() <= 150));
        assertTrue(ServeBenchCommand.workload(5, 1, 0, 10, 10, 1).stream().allMatch(r -> r.arrivalSeconds() == 0));
    }

    @Test
    void gpuMain_probe_printsStatusAndExitsByAvailability() {
        int rc = run(new GpuMain(), "probe");
        assertEquals(GpuProbe.probe().cudaAvailable() ? 0 : 2, rc);
        assertTrue(out.toString().contains(GpuProbe.probe().cudaAvailable() ? "NVML" : "GPU unavailable"), out.toString());
    }

    @Test
    void gpuMain_selftestAndPerf_noGpu_refuseWithExitCode2() {
        assumeFalse(GpuProbe.probe().cudaAvailable(), "this machine has a GPU");
        assertEquals(2, run(new GpuMain(), "selftest"));
        assertEquals(2, run(new GpuMain(), "perf"));
        assertEquals(2, run(new GpuMain(), "perf", "--breakdown"));
        assertTrue(err.toString().contains("selftest: GPU unavailable"), err.toString());
        assertTrue(err.toString().contains("perf: GPU unavailable"), err.toString());
    }

    /** Runs {@code args}; asserts exit code 2 and one line {@code cmd: ...} containing every {@code expect}, no trace. */
    private void assertRefused(Object command, String cmd, String[] args, String... expect) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        int rc = run(command, args);
        String e = err.toString().trim();
        assertEquals(2, rc, String.join(" ", args) + ": " + e);
        assertTrue(e.startsWith(cmd + ": "), e);
        assertEquals(1, e.lines().count(), "one line, no stack trace: " + e);
        for (String x : expect) {
            assertTrue(e.contains(x), "'" + x + "' in: " + e);
        }
    }

    private static String[] cpu(String... more) {
        String[] base = {"--backend", "cpu", "--model", "tiny", "--requests", "4", "--rate", "0", "--prompt", "8", "--output", "2",
            "--kv-blocks", "64", "--block-size", "4", "--token-budget", "32", "--max-running", "4", "--chunk", "16", "--max-context", "128"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void serveBench_badOptions_refusedWithOneLineAndExitCode2(@TempDir Path dir) throws Exception {
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--model", "bogus"), "--model", "bogus");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--tenants", "0"), "--tenants", "got 0");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--kv-blocks", "0"), "--kv-blocks", "got 0");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--policy", "x"), "--policy", "'x'");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--requests", "-1"), "--requests", "got -1");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--rate", "-1"), "--rate", "-1");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--rate", "NaN"), "--rate", "NaN");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--backend", "tpu"), "--backend", "tpu");
        for (String bad : new String[] {"Infinity", "NaN", "-1", "0"}) {
            assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--max-seconds", bad), "--max-seconds", bad.equals("0") ? "0.0" : bad);
        }
        Path missing = dir.resolve("missing.csv");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--trace", missing.toString()), "--trace", "missing.csv", "no such file");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--cost-profile", missing.toString()), "--cost-profile", "no such file");
        Path garbage = Files.writeString(dir.resolve("garbage.csv"), "not,a\nprofile\n");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--cost-profile", garbage.toString()), "--cost-profile", "garbage.csv");
        // an unwritable --csv is refused before the run: a directory, and a path under a regular file
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--csv", dir.toString()), "--csv", "directory");
        assertRefused(new ServeBenchCommand(), "serve-bench", cpu("--csv", garbage.resolve("x.csv").toString()), "--csv", "x.csv");
        assertTrue(!out.toString().contains("finished"), "nothing ran: " + out);
    }

    @Test
    void serveBench_hugeMaxSeconds_stillServes() {
        assertEquals(0, run(new ServeBenchCommand(), cpu("--max-seconds", "1e10")), err.toString());
        assertTrue(out.toString().contains("finished 4"), out.toString());
    }

    @Test
    void calibrate_badOptions_refusedWithOneLineAndExitCode2(@TempDir Path dir) {
        String o = dir.resolve("c.csv").toString();
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--model", "bogus", "--out", o}, "--model", "bogus");
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--backend", "tpu", "--out", o}, "--backend", "tpu");
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--backend", "cpu", "--model", "tiny", "--warmup", "-1", "--out", o},
                "--warmup", "got -1");
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--backend", "cpu", "--model", "tiny", "--kv-blocks", "0", "--out", o},
                "--kv-blocks", "got 0");
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--backend", "cpu", "--model", "tiny", "--out", dir.toString()},
                "--out", "directory");
        assertRefused(new CalibrateCommand(), "calibrate", new String[] {"--backend", "cpu", "--out", o}, "CPU reference", "too large");
        assertTrue(Files.notExists(dir.resolve("c.csv")));
    }

    @Test
    void gpuMain_badToolOptions_refusedBeforeLookingForAGpu() {
        assertRefused(new GpuMain(), "perf", new String[] {"perf", "--decode-seqs", "0"}, "--decode-seqs", "got 0");
        assertRefused(new GpuMain(), "perf", new String[] {"perf", "--model", "bogus"}, "--model", "bogus");
        assertRefused(new GpuMain(), "perf", new String[] {"perf", "--peak-gbs", "-5"}, "--peak-gbs", "-5");
        assertRefused(new GpuMain(), "selftest", new String[] {"selftest", "--tolerance", "NaN"}, "--tolerance", "NaN");
        assertRefused(new GpuMain(), "serve-bench", new String[] {"serve-bench", "--tenants", "0"}, "--tenants");
    }
}

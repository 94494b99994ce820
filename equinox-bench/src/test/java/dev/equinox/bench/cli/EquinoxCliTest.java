package dev.equinox.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EquinoxCliTest {
    @TempDir
    Path dir;

    private static String runCapturingStdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            int code = EquinoxCli.commandLine().execute(args);
            assertEquals(0, code);
        } finally {
            System.setOut(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void replay_noArguments_comparesThreePoliciesOnDefaultWorkloadUnder30s() {
        long t0 = System.nanoTime();
        String out = runCapturingStdout("replay", "--quiet");
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(out.contains("workload: default"), out);
        assertTrue(out.contains("fcfs+") && out.contains("vtc+") && out.contains("equinox+"), out);
        assertTrue(s < 30, "took " + s + " s");
    }

    @Test
    void commandLine_gpuModuleOnClassPath_registersItsCommands() {
        var subs = EquinoxCli.commandLine().getSubcommands();
        assertTrue(subs.containsKey("replay") && subs.containsKey("suite") && subs.containsKey("sweep") && subs.containsKey("export"));
        assertTrue(subs.containsKey("serve-bench") && subs.containsKey("calibrate"), subs.keySet().toString());
    }

    @Test
    void replay_unknownPolicy_exitCodeTwoWithOneLineNamingItAndTheKnownPolicies() {
        StringWriter err = new StringWriter();
        CommandLine cl = EquinoxCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("replay", "-w", "overload?duration=30", "-p", "lottery", "--quiet");
        // EquinoxCli's handler turns PolicyRegistry's IllegalArgumentException into exit code 2 and one line
        assertEquals(2, code, err.toString());
        assertEquals("equinox: unknown policy 'lottery'; known: [fcfs, vtc, vtc-predict, equinox, priority]",
                err.toString().strip(), err.toString());
    }

    @Test
    void suite_twoSuitesShortWithMarkdown_printsRatiosAndAppendsTablesAndRatioTable() throws Exception {
        Path md = dir.resolve("suite.md");
        String out = runCapturingStdout("suite", "-s", "overload,proportional", "--params", "duration=60", "--vtc-reference", "--quiet",
                "--markdown", md.toString());
        assertTrue(out.contains("ratios equinox/vtc"), out);
        assertTrue(out.contains("vtc:overload"), out);
        String text = Files.readString(md);
        assertEquals(2, count(text, "| run | done |"), text);
        assertEquals(1, count(text, "| workload | runs |"), text);
        assertTrue(text.contains("| `vtc:overload?duration=60` | equinox+max-tokens / vtc+max-tokens |"), text);
        assertTrue(text.contains("| `vtc:proportional?duration=60` | equinox+max-tokens / vtc+max-tokens |"), text);
    }

    @Test
    void sweep_smallGridWithMarkdown_printsBestSettingsAndAppendsEveryPoint() throws Exception {
        Path md = dir.resolve("sweep.md");
        String out = runCapturingStdout("sweep", "-w", "overload?duration=60", "--alphas", "0.5,1.0", "--deltas", "0", "--vtc-reference", "--quiet",
                "--markdown", md.toString());
        assertTrue(out.contains("best for fairness"), out);
        assertTrue(out.contains("a=0.50 d=0.00"), out);
        String text = Files.readString(md);
        assertTrue(text.contains("| vtc+max-tokens |") && text.contains("| a=0.50 d=0.00 B=3072 R=1000 |")
                && text.contains("| a=1.00 d=0.00 B=3072 R=1000 |"), text);
        assertTrue(text.contains("- best for fairness (lowest avg service difference): a="), text);
    }

    @Test
    void replay_twoWorkloadsWithMarkdown_oneTableEachThenRatiosOfBoth() throws Exception {
        Path md = dir.resolve("replay.md");
        String out = runCapturingStdout("replay", "-w", "overload?duration=60", "-w", "overload-multi?duration=60", "--vtc-reference",
                "-p", "vtc,equinox", "--quiet", "--markdown", md.toString());
        assertTrue(!out.contains("workload: default"), "-w replaces the default workload");
        assertEquals(2, count(out, "workload: vtc:"), out);
        assertTrue(out.contains("ratios equinox/vtc"), out);
        String text = Files.readString(md);
        assertEquals(2, count(text, "| run | done |"), text);
        assertTrue(text.indexOf("| `vtc:overload?duration=60` |") > text.lastIndexOf("| run | done |"), "ratio table last: " + text);
        assertTrue(text.contains("| `vtc:overload-multi?duration=60` |"), text);
    }

    @Test
    void replay_htmlWithTwoWorkloads_exitCode2() {
        CommandLine cl = EquinoxCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("replay", "-w", "overload?duration=30", "-w", "proportional?duration=30", "--html",
                dir.resolve("x.html").toString(), "--quiet");
        assertEquals(2, code);
        assertTrue(err.toString().contains("one workload"), err.toString());
    }

    /** Runs the tool expecting bad input: exit code 2, one line on stderr starting with "equinox: ", nothing on stdout; the line. */
    private static String runExpectingUsageError(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = EquinoxCli.commandLine();
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        String e = err.toString().strip();
        assertEquals(2, code, e);
        assertTrue(e.startsWith("equinox: ") && !e.contains("\n") && !e.contains("\tat "), e);
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "nothing on stdout");
        return e;
    }

    @Test
    void tokenBudget_withVtcReferenceBatching_refusedAsIgnored() {
        String e = runExpectingUsageError("replay", "-w", "overload?duration=30", "--vtc-reference", "--token-budget", "4096", "--quiet");
        assertTrue(e.contains("--token-budget has no effect") && e.contains("= 3072"), e);
        e = runExpectingUsageError("replay", "-w", "overload?duration=30", "--mode", "VTC_REFERENCE", "--token-budget", "4096", "--quiet");
        assertTrue(e.contains("--token-budget has no effect"), e);
        e = runExpectingUsageError("sweep", "-w", "overload?duration=30", "--vtc-reference", "--alphas", "0.5", "--deltas", "0", "--budgets",
                "1024,2048", "--quiet");
        assertTrue(e.contains("--budgets has no effect"), e);
    }

    @Test
    void engineLine_vtcReferenceMode_showsTheBudgetTheSchedulerApplies() {
        // defaults' KV cache of 131,072 tokens: VTC_REFERENCE batching applies max(131072 / 6, 3072) = 21845, not 2048
        String out = runCapturingStdout("replay", "-w", "overload?duration=20", "-p", "vtc", "--mode", "VTC_REFERENCE", "--quiet");
        assertTrue(out.contains("VTC_REFERENCE, KV 131072 tokens, budget 21845, max running 256"), out);
        out = runCapturingStdout("replay", "-w", "overload?duration=20", "-p", "vtc", "--vtc-reference", "--quiet");
        assertTrue(out.contains("VTC_REFERENCE, KV 10000 tokens, budget 3072, max running 1000"), out);
    }

    @Test
    void duplicateRuns_refusedBeforeAnythingIsWritten() {
        Path html = dir.resolve("dup.html");
        String e = runExpectingUsageError("replay", "-w", "overload?duration=30", "-p", "vtc,vtc", "--html", html.toString(), "--quiet");
        assertTrue(e.contains("'vtc+moving-average' is listed twice"), e);
        assertTrue(!Files.exists(html), "no html written");
        e = runExpectingUsageError("replay", "-w", "overload?duration=30", "-p", "vtc", "--predictors", "oracle, oracle", "--quiet");
        assertTrue(e.contains("'vtc+oracle' is listed twice"), e);
        e = runExpectingUsageError("suite", "-s", "overload", "--params", "duration=30", "-p", "fcfs,vtc,fcfs", "--quiet");
        assertTrue(e.contains("'fcfs+moving-average' is listed twice"), e);
        e = runExpectingUsageError("sweep", "-w", "overload?duration=30", "--alphas", "0.5,0.7,0.5", "--baseline", "none", "--quiet");
        assertEquals("equinox: --alphas repeats a value: [0.5, 0.7, 0.5]", e);
        e = runExpectingUsageError("sweep", "-w", "overload?duration=30", "--deltas", "0.1,0.1", "--baseline", "none", "--quiet");
        assertTrue(e.contains("--deltas repeats a value"), e);
        e = runExpectingUsageError("suite", "-s", "overload,increase,overload", "--params", "duration=30", "--quiet");
        assertEquals("equinox: --suites names a suite twice: [overload, increase, overload]", e);
    }

    @Test
    void badInputs_oneLineExitCodeTwo() throws Exception {
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "req_id,tenant,arrival_s,input_tokens,output_tokens\n");
        assertEquals("equinox: workload spec '" + empty + "': no requests", runExpectingUsageError("replay", "-w", empty.toString(), "--quiet"));
        assertTrue(runExpectingUsageError("replay", "-w", "overload?duration=-10", "--quiet").contains("duration must be > 0"));
        String e = runExpectingUsageError("replay", "-w", "overload?duration=30", "--cost-model", "profile:/nonexistent", "--quiet");
        assertTrue(e.contains("profile:/nonexistent"), e);
        Path epoch = dir.resolve("epoch.csv");
        Files.writeString(epoch, "0,a,1700000000,10,10\n");
        e = runExpectingUsageError("replay", "-w", epoch.toString(), "--quiet");
        assertTrue(e.contains("epoch.csv:1: field 'arrival_s'"), e);
        e = runExpectingUsageError("replay", "-w", "overload?duration=1e12", "--quiet");
        assertTrue(e.contains("duration"), e);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}

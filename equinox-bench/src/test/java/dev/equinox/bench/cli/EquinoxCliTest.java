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

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}

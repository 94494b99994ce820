package dev.equinox.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EquinoxCliTest {

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
    void replay_unknownPolicy_exitCodeNonZeroWithMessage() {
        StringWriter err = new StringWriter();
        CommandLine cl = EquinoxCli.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("replay", "-w", "overload?duration=30", "-p", "lottery", "--quiet");
        assertTrue(code != 0);
    }

    @Test
    void suite_twoSuitesShort_printsRatios() {
        String out = runCapturingStdout("suite", "-s", "overload,proportional", "--params", "duration=60", "--vtc-reference", "--quiet");
        assertTrue(out.contains("ratios equinox/vtc"), out);
        assertTrue(out.contains("vtc:overload"), out);
    }

    @Test
    void sweep_smallGrid_printsBestSettings() {
        String out = runCapturingStdout("sweep", "-w", "overload?duration=60", "--alphas", "0.5,1.0", "--deltas", "0", "--vtc-reference", "--quiet");
        assertTrue(out.contains("best for fairness"), out);
        assertTrue(out.contains("a=0.50 d=0.00"), out);
    }
}

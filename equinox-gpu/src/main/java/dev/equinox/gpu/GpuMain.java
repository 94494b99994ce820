package dev.equinox.gpu;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A standalone launcher for GPU hosts, where the full {@code equinox} CLI of equinox-bench may not be deployed:
 * {@code java -cp 'lib/*' dev.equinox.gpu.GpuMain probe|selftest|perf|serve-bench|calibrate ...}. The same command classes are
 * registered as subcommands of the {@code equinox} CLI.
 */
@Command(name = "equinox-gpu", mixinStandardHelpOptions = true,
        subcommands = {ServeBenchCommand.class, CalibrateCommand.class, GpuMain.Probe.class, GpuToolsCommands.SelfTest.class,
            GpuToolsCommands.Perf.class},
        description = "Equinox GPU tools: probe, selftest, perf, serve-bench, calibrate.")
public final class GpuMain implements Runnable {
    @Spec
    CommandSpec spec;

    /** For picocli. */
    public GpuMain() {
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code probe}: prints what {@link GpuProbe} finds; exit code 0 with a usable GPU, 2 without. */
    @Command(name = "probe", mixinStandardHelpOptions = true, description = "Report the CUDA driver, GPU and NVML status.")
    public static final class Probe implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public Probe() {
        }

        @Override
        public Integer call() {
            GpuProbe.Result r = GpuProbe.probe();
            spec.commandLine().getOut().println(r.describe());
            return r.cudaAvailable() ? 0 : 2;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new GpuMain()).execute(args));
    }
}

package dev.equinox.bench.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code equinox} command-line tool ({@code java -jar equinox-bench/target/equinox.jar}). Subcommands:
 * {@code replay} (the default when no subcommand is given), {@code suite}, {@code sweep}, {@code export}; and,
 * when their modules provide them on the class path, {@code mope} (equinox-mope) and {@code serve-bench},
 * {@code calibrate}, {@code gpu-probe}, {@code gpu-selftest}, {@code gpu-perf} (equinox-gpu), registered by
 * reflection so this module compiles whether or not those commands exist yet.
 */
@Command(name = "equinox", mixinStandardHelpOptions = true, version = "equinox 0.1.0-SNAPSHOT",
        description = "Fairness-aware LLM serving scheduler: trace-replay simulator and tools.",
        subcommands = {ReplayCommand.class, SuiteCommand.class, SweepCommand.class, ExportCommand.class,
            CommandLine.HelpCommand.class})
public final class EquinoxCli implements Runnable {
    /** Optional subcommands of other modules: name and class. */
    static final List<String[]> OPTIONAL = List.of(
            new String[] {"mope", "dev.equinox.mope.MopeCommand"},
            new String[] {"serve-bench", "dev.equinox.gpu.ServeBenchCommand"},
            new String[] {"calibrate", "dev.equinox.gpu.CalibrateCommand"},
            new String[] {"gpu-probe", "dev.equinox.gpu.GpuMain$Probe"},
            new String[] {"gpu-selftest", "dev.equinox.gpu.GpuToolsCommands$SelfTest"},
            new String[] {"gpu-perf", "dev.equinox.gpu.GpuToolsCommands$Perf"});

    @Override
    public void run() {
        // no subcommand: replay the default workload
        int code = commandLine().execute("replay");
        if (code != 0) {
            throw new CommandLine.ExecutionException(new CommandLine(this), "replay failed with exit code " + code);
        }
    }

    /** Builds the command line with the optional subcommands that are on the class path. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new EquinoxCli());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // bad input (unknown name, malformed file) is the user's to fix: one line, no stack trace
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                String kind = ex instanceof java.nio.file.NoSuchFileException ? "file not found: " : "";
                cmd.getErr().println("equinox: " + kind + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        for (String[] o : OPTIONAL) {
            try {
                Class<?> k = Class.forName(o[1]);
                var ctor = k.getDeclaredConstructor();
                ctor.setAccessible(true);
                Object cmd = ctor.newInstance();
                if (!cl.getSubcommands().containsKey(o[0])) {
                    cl.addSubcommand(o[0], cmd);
                }
            } catch (ReflectiveOperationException | LinkageError e) {
                // module not on the class path, or its command not written yet
            }
        }
        return cl;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        int code = commandLine().execute(args);
        System.exit(code);
    }
}

package dev.equinox.gpu;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code equinox calibrate}: measures the GPU step time over a grid of step shapes and writes the CSV profile
 * described in {@link Calibrator}. Refuses (exit code 2, reason printed) without a GPU, and a bad option (exit code 2,
 * one line {@code calibrate: message}, checked before anything runs); {@code --backend cpu}
 * runs the CPU reference for a smoke test and says that its numbers are not a GPU profile.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Profile GPU step time over (prefill tokens, decode batch, context) and write a CSV.")
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "llama-2-7b", description = "tiny, small, llama-2-7b, llama-3-8b (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--backend", defaultValue = "gpu", description = "gpu, or cpu for a smoke test of the tool (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--kv-blocks", defaultValue = "2048")
    int kvBlocks;

    @Option(names = "--block-size", defaultValue = "16")
    int blockSize;

    @Option(names = "--max-tokens", defaultValue = "4352", description = "largest step in tokens")
    int maxTokens;

    @Option(names = "--max-seqs", defaultValue = "257")
    int maxSeqs;

    @Option(names = "--max-context", defaultValue = "8192")
    int maxContext;

    @Option(names = "--prefill", split = ",", description = "prefill tokens per step (default: the standard grid)")
    int[] prefill;

    @Option(names = "--decode", split = ",", description = "decode sequences per step")
    int[] decode;

    @Option(names = "--context", split = ",", description = "context tokens per decode sequence")
    int[] context;

    @Option(names = "--warmup", defaultValue = "2")
    int warmup;

    @Option(names = "--repeats", defaultValue = "5")
    int repeats;

    @Option(names = "--out", defaultValue = "calibration.csv")
    Path out;

    /** For picocli. */
    public CalibrateCommand() {
    }

    @Override
    public Integer call() throws Exception {
        return Cli.guard(spec, this::calibrate);
    }

    private int calibrate() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LlamaConfig config = Cli.option("--model", () -> LlamaConfig.preset(model));
        boolean gpu = Cli.gpuBackend(backend);
        Cli.atLeast("--kv-blocks", kvBlocks, 1);
        Cli.atLeast("--block-size", blockSize, 1);
        Cli.atLeast("--max-tokens", maxTokens, 1);
        Cli.atLeast("--max-seqs", maxSeqs, 1);
        Cli.atLeast("--max-context", maxContext, 1);
        Cli.atLeast("--warmup", warmup, 0);
        Cli.atLeast("--repeats", repeats, 1);
        Calibrator.Grid std = Calibrator.Grid.standard();
        Calibrator.Grid grid = new Calibrator.Grid(prefill != null ? prefill : std.prefillTokens(),
                decode != null ? decode : std.decodeSeqs(), context != null ? context : std.decodeContextTokens(), warmup, repeats);
        Cli.writable("--out", out);
        Calibrator cal;
        if (!gpu) {
            o.println("calibrate: CPU reference backend: a smoke test of the tool, NOT a GPU profile");
            try {
                cal = Calibrator.forCpuReference(config, kvBlocks, blockSize, maxTokens, maxSeqs, maxContext);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--backend cpu: " + e.getMessage() + " (use --model tiny or small, fewer --kv-blocks)", e);
            }
        } else {
            try {
                cal = Calibrator.forGpu(config, kvBlocks, blockSize, maxTokens, maxSeqs, maxContext);
            } catch (GpuUnavailableException e) {
                err.println("calibrate: refusing: " + e.getMessage());
                return 2;
            }
            o.println("calibrate: " + config + " on " + GpuProbe.probe().describe());
        }
        try (cal) {
            List<Calibrator.Row> rows = cal.run(grid);
            Calibrator.writeCsv(rows, out, cal.describe());
            o.println("calibrate: " + rows.size() + " points written to " + out);
            for (String s : cal.skipped()) {
                o.println("  skipped " + s);
            }
        }
        return 0;
    }
}

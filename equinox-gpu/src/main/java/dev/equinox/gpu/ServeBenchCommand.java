package dev.equinox.gpu;

import dev.equinox.Equinox;
import dev.equinox.Policies;
import dev.equinox.Scheduler;
import dev.equinox.cost.CostModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code equinox serve-bench}: serves a synthetic multi-tenant workload (Poisson arrivals) with a real Equinox
 * scheduler and the Llama decoder on the GPU, and reports throughput, per-tenant service and latencies.
 * Exit code 0 on success; 2 for a bad option or input, or when the GPU is unavailable (one line {@code serve-bench:
 * message}); 1 when the run aborted after consecutive failed steps (the partial report is printed first).
 *
 * <p>{@code --backend cpu} runs the pure-Java reference model instead (small models such as {@code tiny}): it
 * exercises the whole loop on a machine without a GPU, its timings mean nothing for a GPU.
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true,
        description = "Serve a synthetic multi-tenant workload on the GPU through the Equinox scheduler.")
public final class ServeBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "tiny", description = "tiny, small, llama-2-7b, llama-3-8b (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--backend", defaultValue = "gpu", description = "gpu or cpu (reference, small models) (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--policy", defaultValue = "equinox", description = "scheduling policy by name (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--kv-blocks", defaultValue = "2048")
    int kvBlocks;

    @Option(names = "--block-size", defaultValue = "16")
    int blockSize;

    @Option(names = "--token-budget", defaultValue = "2048")
    int tokenBudget;

    @Option(names = "--max-running", defaultValue = "256")
    int maxRunning;

    @Option(names = "--chunk", defaultValue = "512")
    int chunk;

    @Option(names = "--max-context", defaultValue = "4096")
    int maxContext;

    @Option(names = "--requests", defaultValue = "64")
    int requests;

    @Option(names = "--tenants", defaultValue = "4")
    int tenants;

    @Option(names = "--rate", defaultValue = "4.0", description = "arrivals per second (Poisson); 0 = all at once")
    double rate;

    @Option(names = "--prompt", defaultValue = "512", description = "mean prompt tokens (uniform +-50 %)")
    int prompt;

    @Option(names = "--output", defaultValue = "128", description = "mean output tokens (uniform +-50 %)")
    int output;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--max-seconds", defaultValue = "600")
    double maxSeconds;

    @Option(names = "--csv", description = "write one line per request to this file")
    Path csv;

    @Option(names = "--cost-profile", paramLabel = "FILE", description = "fit the scheduler's cost model to this step profile "
            + "(the CSV of 'calibrate' on this GPU), as the simulator's --cost-model profile:FILE; the Equinox policy prices "
            + "requests' GPU time with it (default: the built-in Llama-2-7B A100 model)")
    Path costProfile;

    @Option(names = "--trace", paramLabel = "FILE", description = "serve this workload (the CSV of 'equinox export', e.g. a VTC "
            + "suite) instead of the synthetic one; --requests/--tenants/--rate/--prompt/--output/--seed are then ignored")
    Path trace;

    /** For picocli. */
    public ServeBenchCommand() {
    }

    /** A synthetic workload: Poisson arrivals at {@code rate}/s, tenants round robin, lengths uniform +-50 %. */
    static List<BenchRequest> workload(int n, int tenants, double rate, int prompt, int output, long seed) {
        Random rnd = new Random(seed);
        List<BenchRequest> list = new ArrayList<>(n);
        double t = 0;
        for (int i = 0; i < n; i++) {
            if (rate > 0 && i > 0) {
                t += -Math.log(1 - rnd.nextDouble()) / rate;
            }
            int p = Math.max(1, (int) Math.round(prompt * (0.5 + rnd.nextDouble())));
            int o = Math.max(1, (int) Math.round(output * (0.5 + rnd.nextDouble())));
            list.add(new BenchRequest(t, "tenant-" + (i % tenants), p, o));
        }
        return list;
    }

    @Override
    public Integer call() throws Exception {
        return Cli.guard(spec, this::serve);
    }

    /** Every option checked before anything runs (an IllegalArgumentException names the option and the value). */
    private void validate() {
        Cli.gpuBackend(backend);
        Cli.atLeast("--kv-blocks", kvBlocks, 1);
        Cli.atLeast("--block-size", blockSize, 1);
        Cli.atLeast("--token-budget", tokenBudget, 1);
        Cli.atLeast("--max-running", maxRunning, 1);
        Cli.atLeast("--chunk", chunk, 1);
        Cli.atLeast("--max-context", maxContext, 1);
        Cli.positive("--max-seconds", maxSeconds, false);
        if (trace != null) {
            Cli.readable("--trace", trace);
        } else {
            Cli.atLeast("--requests", requests, 1);
            Cli.atLeast("--tenants", tenants, 1);
            Cli.positive("--rate", rate, true);
            Cli.atLeast("--prompt", prompt, 1);
            Cli.atLeast("--output", output, 1);
        }
        if (costProfile != null) {
            Cli.readable("--cost-profile", costProfile);
        }
        if (csv != null) {
            Cli.writable("--csv", csv);
        }
    }

    private int serve() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LlamaConfig config = Cli.option("--model", () -> LlamaConfig.preset(model));
        validate();
        boolean gpu = Cli.gpuBackend(backend);
        if (gpu && !GpuProbe.probe().cudaAvailable()) {
            err.println("serve-bench: GPU unavailable: " + GpuProbe.probe().cudaReason());
            err.println("(try --backend cpu --model tiny to run the loop on the CPU reference)");
            return 2;
        }
        List<BenchRequest> work;
        Map<String, Double> weights = Map.of();
        if (trace != null) {
            try {
                BenchTrace t = BenchTrace.read(trace);
                work = t.requests();
                weights = t.weights();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot read --trace " + trace + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --trace " + trace + ": " + Cli.why(e), e);
            }
        } else {
            work = workload(requests, tenants, rate, prompt, output, seed);
        }
        Equinox builder = Equinox.builder().kvCache(kvBlocks, blockSize).tokenBudget(tokenBudget).maxRunning(maxRunning)
                .chunkSize(Math.min(chunk, tokenBudget)).maxContext(maxContext).policy(Cli.option("--policy", () -> Policies.byName(policy)));
        if (costProfile != null) {
            try {
                builder.costModel(CostModels.profile(costProfile, 0));
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException("cannot use --cost-profile " + costProfile + ": " + Cli.why(e.getCause()), e);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot use --cost-profile " + costProfile + ": " + e.getMessage(), e);
            }
        }
        try (Scheduler s = builder.build();
                GpuExecutor ex = gpu
                        ? GpuExecutor.open(config, kvBlocks, blockSize, tokenBudget, maxRunning, maxContext, NvmlTelemetry.open(0))
                        : GpuExecutor.cpuReference(config, kvBlocks, blockSize)) {
            weights.forEach(s::registerTenant);
            out.println("serve-bench: " + config + " on " + ex.backend() + ", policy " + s.policyName()
                    + (trace != null ? ", trace " + trace + " (" + work.size() + " requests)" : ""));
            GpuHostEngine.Report r;
            int rc = 0;
            try {
                r = new GpuHostEngine(s, ex).run(work, maxSeconds);
            } catch (GpuHostEngine.AbortedException e) {
                r = e.report();
                err.println("serve-bench: aborted: " + e.getMessage() + " (the partial report follows)");
                rc = 1;
            }
            print(out, s.policyName(), r, weights);
            if (csv != null) {
                writeOutcomes(r, csv);
                out.println("per-request results: " + csv);
            }
            return rc;
        }
    }

    private static void print(PrintWriter out, String policyName, GpuHostEngine.Report r, Map<String, Double> weights) {
        out.printf(Locale.ROOT, "requests %d (rejected %d, finished %d), steps %d (failed %d)%n", r.submitted(), r.rejected(),
                r.finished(), r.steps(), r.failedSteps());
        out.printf(Locale.ROOT, "prompt tokens %d, output tokens %d, wall %.2f s, busy %.2f s, device %.2f s, %.1f output tok/s%n",
                r.promptTokens(), r.outputTokens(), r.wallSeconds(), r.busySeconds(), r.deviceSeconds(), r.outputTokensPerSecond());
        out.printf(Locale.ROOT, "mean GPU utilization %s%n", Double.isNaN(r.meanGpuUtilization()) ? "n/a"
                : String.format(Locale.ROOT, "%.1f %%", 100 * r.meanGpuUtilization()));
        r.outputTokensByTenant().forEach((t, n) -> out.println("  " + t + ": " + n + " output tokens"));
        out.println("as the simulator's table (equinox replay):");
        ServeSummary.print(out, ServeSummary.cells(policyName, r, weights));
    }

    static void writeOutcomes(GpuHostEngine.Report r, Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            w.write("request_id,tenant,status,finish_reason,prompt_tokens,output_tokens,preemptions,arrival_s,ttft_s,latency_s,"
                    + "first_token_s,finish_s\n");
            for (GpuHostEngine.Outcome o : r.outcomes()) {
                w.write(String.format(Locale.ROOT, "%d,%s,%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f%n", o.requestId(), o.tenant(), o.status(),
                        o.finishReason(), o.promptTokens(), o.outputTokens(), o.preemptions(), o.arrivalSeconds(), o.ttftSeconds(),
                        o.latencySeconds(), o.firstTokenSeconds(), o.finishSeconds()));
            }
        }
    }
}

package dev.equinox.bench.cli;

import dev.equinox.bench.report.Comparison;
import dev.equinox.bench.report.ServiceMeasure;
import dev.equinox.bench.sim.SimConfig;
import dev.equinox.bench.sim.SimResult;
import dev.equinox.bench.sim.Simulator;
import dev.equinox.bench.workload.Workload;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Option;

/**
 * How the commands that simulate ({@code replay}, {@code suite}, {@code sweep}) run their configurations: a
 * picocli mixin with {@code --threads} and {@code --quiet}, and the one place that runs several configurations
 * on one workload in parallel behind a progress bar. Results keep the configurations' order.
 */
final class Runs {
    @Option(names = "--threads", description = "Runs in parallel (default: available processors).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--service", paramLabel = "MEASURE", defaultValue = "TOKENS",
            description = "How the fairness columns price service: TOKENS (VTC's w_p = 1, w_q = 2; default) or GPU"
                    + " (an output token costs its decode time over a prompt token's prefill time on the run's engine).")
    ServiceMeasure service = ServiceMeasure.TOKENS;

    /**
     * Rejects a list with two configurations of one label (policy x predictor): their rows could not be told apart
     * and the HTML report cannot hold both. Called before anything runs or is written.
     *
     * @throws IllegalArgumentException naming the repeated run
     */
    static void requireDistinct(List<SimConfig> configs, String options) {
        Set<String> seen = new HashSet<>();
        for (SimConfig c : configs) {
            if (!seen.add(c.label())) {
                throw new IllegalArgumentException("run '" + c.label() + "' is listed twice (" + options + "): each policy x predictor pair may "
                        + "appear once");
            }
        }
    }

    /** Runs every configuration on {@code w}; {@code task} names the progress bar. */
    Comparison run(String task, Workload w, List<SimConfig> configs) {
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (Progress progress = new Progress(task, (long) w.size() * configs.size(), !quiet)) {
            return run(w, configs, t, progress, service);
        }
    }

    private static Comparison run(Workload w, List<SimConfig> configs, int threads, Progress progress, ServiceMeasure service) {
        List<SimResult> out = new ArrayList<>();
        if (threads <= 1 || configs.size() == 1) {
            for (SimConfig c : configs) {
                out.add(Simulator.run(w, c, progress.observer()));
            }
            return Comparison.of(w, out, service);
        }
        ExecutorService ex = Executors.newFixedThreadPool(Math.min(threads, configs.size()), r -> {
            Thread t = new Thread(r, "equinox-sim");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<SimResult>> fs = new ArrayList<>();
            for (SimConfig c : configs) {
                fs.add(ex.submit(() -> Simulator.run(w, c, progress.observer())));
            }
            for (Future<SimResult> f : fs) {
                out.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            throw new IllegalStateException(c);
        } finally {
            ex.shutdownNow();
        }
        return Comparison.of(w, out, service);
    }
}

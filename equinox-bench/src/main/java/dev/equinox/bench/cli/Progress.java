package dev.equinox.bench.cli;

import dev.equinox.bench.sim.SimObserver;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for a batch of simulations, shown only once the batch has run for 3 s (short runs stay
 * quiet). Thread-safe: parallel runs report into one bar (requests completed over all runs).
 */
final class Progress implements AutoCloseable {
    private final long total;
    private final long start = System.nanoTime();
    private final boolean enabled;
    private ProgressBar bar;
    private long doneBefore;

    private final String task;

    Progress(String task, long totalRequests, boolean enabled) {
        this.total = totalRequests;
        this.enabled = enabled;
        this.task = task;
    }

    /** An observer for one run; it adds the run's newly completed requests to the bar. */
    SimObserver observer() {
        long[] last = new long[1];
        return (done, all, t) -> {
            long delta = done - last[0];
            last[0] = done;
            add(delta);
        };
    }

    private synchronized void add(long delta) {
        doneBefore += delta;
        if (!enabled) {
            return;
        }
        if (bar == null && System.nanoTime() - start > 3_000_000_000L) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUnit(" req", 1).build();
        }
        if (bar != null) {
            bar.stepTo(doneBefore);
        }
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.stepTo(total);
            bar.close();
        }
    }
}

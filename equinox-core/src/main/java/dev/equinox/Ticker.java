package dev.equinox;

/**
 * A source of nanosecond time. The scheduler reads every timestamp through its ticker, so tests and the
 * trace-replay simulator run it on virtual time.
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds from an arbitrary, fixed origin; never decreases. */
    long read();

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static Ticker system() {
        return System::nanoTime;
    }
}

package dev.equinox;

/** A ticker tests advance by hand. Single-threaded use. */
final class VirtualTicker implements Ticker {
    long now;

    @Override
    public long read() {
        return now;
    }

    void advanceSeconds(double s) {
        now += (long) (s * 1e9);
    }
}

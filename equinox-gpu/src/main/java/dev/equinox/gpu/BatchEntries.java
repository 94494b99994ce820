package dev.equinox.gpu;

import dev.equinox.Batch;

/** A {@link StepEntries} over a core {@link Batch}; re-pointed every step, so nothing is allocated per step. */
final class BatchEntries implements StepEntries {
    private Batch batch;

    BatchEntries of(Batch b) {
        this.batch = b;
        return this;
    }

    @Override
    public int size() {
        return batch.size();
    }

    @Override
    public int decodeCount() {
        return batch.decodeCount();
    }

    @Override
    public long requestId(int i) {
        return batch.requestId(i);
    }

    @Override
    public boolean isPrefill(int i) {
        return batch.isPrefill(i);
    }

    @Override
    public int tokenOffset(int i) {
        return batch.tokenOffset(i);
    }

    @Override
    public int tokenCount(int i) {
        return batch.tokenCount(i);
    }

    @Override
    public boolean producesToken(int i) {
        return batch.producesToken(i);
    }
}

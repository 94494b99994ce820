package dev.equinox.gpu;

import java.util.ArrayList;
import java.util.List;

/** A hand-made step for tests: add decodes first, then prefill chunks. */
final class FakeStep implements StepEntries {
    private final List<long[]> rows = new ArrayList<>(); // id, prefill(0/1), offset, count, produces(0/1)
    private int decodes;

    FakeStep decode(long id, int offset) {
        if (rows.size() != decodes) {
            throw new IllegalStateException("decodes first");
        }
        rows.add(new long[] {id, 0, offset, 1, 1});
        decodes++;
        return this;
    }

    FakeStep prefill(long id, int offset, int count, boolean produces) {
        rows.add(new long[] {id, 1, offset, count, produces ? 1 : 0});
        return this;
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public int decodeCount() {
        return decodes;
    }

    @Override
    public long requestId(int i) {
        return rows.get(i)[0];
    }

    @Override
    public boolean isPrefill(int i) {
        return rows.get(i)[1] == 1;
    }

    @Override
    public int tokenOffset(int i) {
        return (int) rows.get(i)[2];
    }

    @Override
    public int tokenCount(int i) {
        return (int) rows.get(i)[3];
    }

    @Override
    public boolean producesToken(int i) {
        return rows.get(i)[4] == 1;
    }
}

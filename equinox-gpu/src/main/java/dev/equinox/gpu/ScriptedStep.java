package dev.equinox.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * A step written out entry by entry instead of formed by a scheduler: the calibrator's synthetic steps, the GPU
 * self-test's script, and the tests. Add decodes first, then prefill chunks (as a {@link dev.equinox.Batch} orders
 * them). Not for hot paths (one small array per entry).
 */
final class ScriptedStep implements StepEntries {
    private final List<long[]> rows = new ArrayList<>(); // id, prefill (0/1), offset, count, produces (0/1)
    private int decodes;

    /** A decode of request {@code id} at position {@code offset} (its last known token). */
    ScriptedStep decode(long id, int offset) {
        if (rows.size() != decodes) {
            throw new IllegalStateException("decode entries must come before prefill entries");
        }
        rows.add(new long[] {id, 0, offset, 1, 1});
        decodes++;
        return this;
    }

    /** A prefill chunk of {@code count} tokens from {@code offset}; {@code produces} for the final chunk. */
    ScriptedStep prefill(long id, int offset, int count, boolean produces) {
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

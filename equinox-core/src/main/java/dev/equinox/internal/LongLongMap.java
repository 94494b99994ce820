package dev.equinox.internal;

import java.util.Arrays;

/**
 * A map from request id (&gt;= 0) to a long (a timestamp, a state), in two primitive arrays with linear probing and
 * backward-shift deletion: no boxing, no allocation except when it grows (at half full). Not thread-safe: one
 * thread at a time (the engine thread, or whoever holds its owner's lock). Used by the fairness tracker and the
 * Micrometer recorder; not API (the module does not export this package).
 */
public final class LongLongMap {
    public static final long ABSENT = Long.MIN_VALUE;
    private static final long EMPTY = -1;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    public LongLongMap(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity - 1) << 1);
        keys = new long[n];
        values = new long[n];
        Arrays.fill(keys, EMPTY);
        mask = n - 1;
    }

    public int size() {
        return size;
    }

    /** The value for {@code key}, or {@link #ABSENT}. */
    public long get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return ABSENT;
            }
        }
    }

    public void put(long key, long value) {
        if (key < 0) {
            throw new IllegalArgumentException("keys must be >= 0, got " + key);
        }
        int i = slot(key);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            keys[i] = key;
            if (++size * 2 > keys.length) {
                values[i] = value;
                grow();
                return;
            }
        }
        values[i] = value;
    }

    public void remove(long key) {
        int i = slot(key);
        while (keys[i] != key) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        // backward-shift: move later entries of the probe run into the hole, so lookups need no tombstones
        int hole = i;
        for (int j = (hole + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        size--;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}

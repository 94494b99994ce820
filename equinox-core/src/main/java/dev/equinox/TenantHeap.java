package dev.equinox;

import java.util.Arrays;

/**
 * An indexed binary min-heap of tenants (dense indices), ordered by a primary {@code double} key, then a
 * secondary {@code long} key, then the tenant index (the tenant seen first wins ties). The bundled policies keep
 * their backlogged tenants in one: FCFS by (priority, arrival of the queue head), VTC by its counter, Equinox by
 * its holistic counter H.
 *
 * <p><b>Why</b>: a policy that scans its backlogged tenants for every admission costs O(tenants) per admission. At
 * (4k running, 100k waiting, 10k tenants) about 15 requests are admitted per step, and the scans made a step take
 * 0.9-2.4 ms (JMH {@code NextBatchBenchmark}, docs/performance.md), against a budget of 100 us. With the heap, the
 * minimum is O(1), a changed key costs one sift, O(log n) and usually a level or two since charges are small
 * against the spread of counters, and the tenants whose key is within a bound are enumerated in O(answer) by a
 * pruned walk of the heap.
 *
 * <p>Engine thread only. Arrays grow by doubling; nothing is allocated once they have reached the tenant count.
 */
final class TenantHeap {
    private int[] heap = new int[16]; // heap slot -> tenant
    private int[] pos = filled(16); // tenant -> heap slot, -1 when absent
    private double[] primary = new double[16]; // by tenant
    private long[] secondary = new long[16]; // by tenant
    private int size;
    private int[] stack = new int[16]; // scratch of collect()
    private int[] dirty = new int[16]; // tenants whose key changed since the last restore()
    private boolean[] isDirty = new boolean[16]; // by tenant
    private double[] pending = new double[16]; // by tenant: the key updateLater() set, applied by restore()
    private int dirtyCount;

    private static int[] filled(int n) {
        int[] a = new int[n];
        Arrays.fill(a, -1);
        return a;
    }

    private void ensureTenant(int t) {
        if (t >= pos.length) {
            int n = Math.max(t + 1, pos.length * 2);
            int old = pos.length;
            pos = Arrays.copyOf(pos, n);
            Arrays.fill(pos, old, n, -1);
            primary = Arrays.copyOf(primary, n);
            secondary = Arrays.copyOf(secondary, n);
            isDirty = Arrays.copyOf(isDirty, n);
            pending = Arrays.copyOf(pending, n);
        }
    }

    int size() {
        return size;
    }

    boolean contains(int t) {
        return t < pos.length && pos[t] >= 0;
    }

    /** The least tenant, or -1 when empty. */
    int min() {
        if (dirtyCount > 0) {
            restore();
        }
        return size == 0 ? -1 : heap[0];
    }

    /** The least tenant's primary key, or +infinity when empty. */
    double minKey() {
        if (dirtyCount > 0) {
            restore();
        }
        return size == 0 ? Double.POSITIVE_INFINITY : primary[heap[0]];
    }

    /** The primary key last set for {@code t} (whether or not it is in the heap). */
    double key(int t) {
        if (t >= primary.length) {
            return 0;
        }
        return isDirty[t] ? pending[t] : primary[t];
    }

    /** Adds {@code t}, absent, with its keys. */
    void add(int t, double key, long tieBreak) {
        ensureTenant(t);
        if (dirtyCount > 0) {
            restore();
        }
        if (pos[t] >= 0) {
            throw new IllegalStateException("tenant " + t + " is already in the heap");
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        primary[t] = key;
        secondary[t] = tieBreak;
        heap[size] = t;
        pos[t] = size;
        siftUp(size++);
    }

    /** Removes {@code t}; nothing if absent. */
    void remove(int t) {
        if (!contains(t)) {
            return;
        }
        if (dirtyCount > 0) {
            restore(); // a removal sifts its replacement: the order must hold first
        }
        int i = pos[t];
        pos[t] = -1;
        int last = heap[--size];
        if (i == size) {
            return;
        }
        heap[i] = last;
        pos[last] = i;
        siftDown(siftUp(i));
    }

    /** Sets {@code t}'s keys and restores the order if it is in the heap. */
    void update(int t, double key, long tieBreak) {
        ensureTenant(t);
        if (dirtyCount > 0) {
            restore();
        }
        primary[t] = key;
        secondary[t] = tieBreak;
        int i = pos[t];
        if (i >= 0) {
            siftDown(siftUp(i));
        }
    }

    /** Sets {@code t}'s primary key (the secondary stays) and restores the order if it is in the heap. */
    void update(int t, double key) {
        update(t, key, t < secondary.length ? secondary[t] : 0);
    }

    /**
     * Sets {@code t}'s primary key and defers restoring the order to {@link #restore()}: a step that charges a
     * tenant's many running requests pays one sift per tenant, not one per charge. Every other operation restores
     * first, so a forgotten {@code restore()} costs time, never correctness.
     */
    void updateLater(int t, double key) {
        ensureTenant(t);
        if (pos[t] < 0) {
            primary[t] = key;
            return;
        }
        pending[t] = key;
        if (!isDirty[t]) {
            isDirty[t] = true;
            if (dirtyCount == dirty.length) {
                dirty = Arrays.copyOf(dirty, dirtyCount * 2);
            }
            dirty[dirtyCount++] = t;
        }
    }

    /**
     * Applies the keys set by {@link #updateLater}, one tenant at a time: the pending keys are kept apart until
     * then, so each application is an ordinary single-key update of a valid heap. (Setting them all first and
     * sifting afterwards is not enough: a sift assumes the rest of the heap is in order, and the brute-force test
     * caught the difference.) When more than a quarter of the heap changed, all pending keys are applied and the
     * heap is rebuilt bottom-up instead.
     */
    void restore() {
        int n = dirtyCount;
        dirtyCount = 0;
        if (n > 64 && n * 4 > size) {
            // many changed: apply them all and rebuild bottom-up (Floyd), O(size) in sequential memory, correct
            // however many keys changed; cheaper than n random sifts once n is a good share of the heap
            for (int k = 0; k < n; k++) {
                int t = dirty[k];
                isDirty[t] = false;
                primary[t] = pending[t];
            }
            for (int i = (size >>> 1) - 1; i >= 0; i--) {
                siftDown(i);
            }
            return;
        }
        for (int k = 0; k < n; k++) {
            int t = dirty[k];
            isDirty[t] = false;
            primary[t] = pending[t];
            int i = pos[t];
            if (i >= 0) {
                siftDown(siftUp(i));
            }
        }
    }

    /**
     * Writes into {@code out} up to {@code out.length} tenants whose primary key is at most {@code limit}, and
     * returns how many: the heap is walked from the root and a subtree is skipped as soon as its root exceeds the
     * limit, so the cost is proportional to the answer, not to the heap. Which tenants are reported when more
     * than {@code out.length} qualify is deterministic (heap order), not sorted.
     */
    int collect(double limit, int[] out) {
        if (dirtyCount > 0) {
            restore();
        }
        if (size == 0 || primary[heap[0]] > limit || out.length == 0) {
            return 0;
        }
        int n = 0;
        int sp = 0;
        stack[sp++] = 0;
        while (sp > 0 && n < out.length) {
            int i = stack[--sp];
            out[n++] = heap[i];
            int c = 2 * i + 1;
            // push the right child first so the left subtree is walked first
            for (int k = c + 1; k >= c; k--) {
                if (k < size && primary[heap[k]] <= limit) {
                    if (sp == stack.length) {
                        stack = Arrays.copyOf(stack, sp * 2);
                    }
                    stack[sp++] = k;
                }
            }
        }
        return n;
    }

    private boolean less(int a, int b) {
        double ka = primary[a];
        double kb = primary[b];
        if (ka != kb) {
            return ka < kb;
        }
        long sa = secondary[a];
        long sb = secondary[b];
        if (sa != sb) {
            return sa < sb;
        }
        return a < b;
    }

    private int siftUp(int i) {
        int t = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            int pt = heap[p];
            if (!less(t, pt)) {
                break;
            }
            heap[i] = pt;
            pos[pt] = i;
            i = p;
        }
        heap[i] = t;
        pos[t] = i;
        return i;
    }

    private void siftDown(int i) {
        int t = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            int ct = heap[c];
            int r = c + 1;
            if (r < size && less(heap[r], ct)) {
                c = r;
                ct = heap[r];
            }
            if (!less(ct, t)) {
                break;
            }
            heap[i] = ct;
            pos[ct] = i;
            i = c;
        }
        heap[i] = t;
        pos[t] = i;
    }
}

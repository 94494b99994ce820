package dev.equinox;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * An indexed binary min-heap of tenants (dense indices), ordered by a primary {@code double} key, then a
 * secondary {@code long} key, then the tenant index (the tenant seen first wins ties). The bundled policies keep
 * their backlogged tenants in one: FCFS by (priority, arrival of the queue head), VTC by its counter, Equinox by
 * its holistic counter H.
 *
 * <p><b>Why</b>: a policy that scans its backlogged tenants for every admission costs O(tenants) per admission. At
 * (4k running, 100k waiting, 10k tenants) about 15 requests are admitted per step, and the scans made a step take
 * 0.9-2.4 ms (JMH {@code NextBatchBenchmark}, docs/performance.md), against a budget of 100 us. With the heap, the
 * minimum is O(1), a changed key costs one sift, O(log n), and the tenants whose key is within a bound are
 * enumerated in O(answer) by a pruned walk of the heap.
 *
 * <p><b>Live keys</b>: counters only rise while a step is charged, and a step charges every tenant with a running
 * request (thousands at 4k running over 10k tenants): repairing the heap for each was a large share of a VTC step
 * (27 % of its JFR samples at 256 running, docs/performance.md). So a policy may build the heap over its own counter
 * array ({@link #TenantHeap(IntToDoubleFunction)}) and raise a counter without telling the heap: the heap stays
 * ordered by the key it last saw, a lower bound of the live one. The minimum is exact once the root's key is current
 * (every other tenant's live key is at least its heap key, which is at least the root's), so {@link #min()} brings
 * the root up to date, sifting it down, until it is; a tenant far from the minimum is never repaired however often
 * it is charged. Each repair follows at least one rise, so the work is bounded by the charges (VTC's charging of a
 * 4k-running step measured 33 us with this, docs/performance.md). A key that falls (a refund) must be set with
 * {@link #update(int, double)} at once. Results are those of an eagerly repaired heap: the same minimum with the same
 * tie-breaks, the same set within a bound.
 *
 * <p><b>Keys by slot</b>: the keys the heap orders by are kept in arrays indexed by heap slot and move with their
 * tenant, so a sift or a pruned walk reads a node's two children's keys from one cache line instead of two scattered
 * loads by tenant (at 10k tenants, each level of a sift was a miss; docs/performance.md, "Keys by heap slot"). The
 * keys of a tenant out of the heap are kept by tenant, for when it returns.
 *
 * <p>Engine thread only. Arrays grow by doubling; nothing is allocated once they have reached the tenant count.
 */
final class TenantHeap {
    private int[] heap = new int[16]; // heap slot -> tenant
    private double[] keyAt = new double[16]; // heap slot -> primary key (a lower bound of the live key, if live)
    private long[] tieAt = new long[16]; // heap slot -> secondary key
    private int[] pos = filled(16); // tenant -> heap slot, -1 when absent
    private double[] primary = new double[16]; // by tenant: the keys of a tenant out of the heap (key, update)
    private long[] secondary = new long[16]; // by tenant, likewise
    private int size;
    private int[] stack = new int[16]; // scratch of collect()
    private int[] stale = new int[16]; // scratch of collect(): visited tenants to repair after the walk
    /** The owner's live primary keys (null: the heap's keys are exact, set by add and update only). */
    private final IntToDoubleFunction live;

    /** A heap whose keys change only through {@link #add} and {@link #update}. */
    TenantHeap() {
        this.live = null;
    }

    /**
     * A heap over live primary keys that may rise without notice (see the class comment); {@code live} is read for
     * tenants in the heap only, and a fall must be set with {@link #update(int, double)}.
     */
    TenantHeap(IntToDoubleFunction live) {
        this.live = live;
    }

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
        }
    }

    int size() {
        return size;
    }

    boolean contains(int t) {
        return t < pos.length && pos[t] >= 0;
    }

    /** Brings the root's key up to date until it is current: the minimum is then exact. */
    private void settleRoot() {
        if (live == null) {
            return;
        }
        while (size > 0) {
            double k = live.applyAsDouble(heap[0]);
            if (k <= keyAt[0]) {
                return;
            }
            keyAt[0] = k;
            siftDown(0);
        }
    }

    /** The least tenant, or -1 when empty. */
    int min() {
        settleRoot();
        return size == 0 ? -1 : heap[0];
    }

    /** The least tenant's primary key, or +infinity when empty. */
    double minKey() {
        settleRoot();
        return size == 0 ? Double.POSITIVE_INFINITY : keyAt[0];
    }

    /** The primary key of {@code t} (whether or not it is in the heap): the live key for a heap over live keys. */
    double key(int t) {
        if (t >= pos.length) {
            return 0;
        }
        if (live != null) {
            return live.applyAsDouble(t);
        }
        int i = pos[t];
        return i >= 0 ? keyAt[i] : primary[t];
    }

    /** Adds {@code t}, absent, with its keys. */
    void add(int t, double key, long tieBreak) {
        ensureTenant(t);
        if (pos[t] >= 0) {
            throw new IllegalStateException("tenant " + t + " is already in the heap");
        }
        if (size == heap.length) {
            int n = size * 2;
            heap = Arrays.copyOf(heap, n);
            keyAt = Arrays.copyOf(keyAt, n);
            tieAt = Arrays.copyOf(tieAt, n);
        }
        int i = size++;
        heap[i] = t;
        keyAt[i] = key;
        tieAt[i] = tieBreak;
        pos[t] = i;
        siftUp(i);
    }

    /** Removes {@code t}; nothing if absent. Its keys are kept for {@link #key(int)}. */
    void remove(int t) {
        if (!contains(t)) {
            return;
        }
        int i = pos[t];
        primary[t] = keyAt[i];
        secondary[t] = tieAt[i];
        pos[t] = -1;
        int last = --size;
        if (i == last) {
            return;
        }
        int lt = heap[last];
        heap[i] = lt;
        keyAt[i] = keyAt[last];
        tieAt[i] = tieAt[last];
        pos[lt] = i;
        siftDown(siftUp(i));
    }

    /** Sets {@code t}'s keys and restores the order if it is in the heap (else keeps them for its return). */
    void update(int t, double key, long tieBreak) {
        ensureTenant(t);
        int i = pos[t];
        if (i >= 0) {
            keyAt[i] = key;
            tieAt[i] = tieBreak;
            siftDown(siftUp(i));
        } else {
            primary[t] = key;
            secondary[t] = tieBreak;
        }
    }

    /** Sets {@code t}'s primary key (the secondary stays) and restores the order if it is in the heap. */
    void update(int t, double key) {
        long tie;
        if (t >= pos.length) {
            tie = 0;
        } else {
            int i = pos[t];
            tie = i >= 0 ? tieAt[i] : secondary[t];
        }
        update(t, key, tie);
    }

    /**
     * Writes into {@code out} up to {@code out.length} tenants whose primary key is at most {@code limit}, and
     * returns how many: the heap is walked from the root and a subtree is skipped as soon as its root exceeds the
     * limit, so the cost is proportional to the answer, not to the heap. Which tenants are reported when more
     * than {@code out.length} qualify is deterministic (heap order), not sorted.
     */
    int collect(double limit, int[] out) {
        settleRoot();
        if (size == 0 || keyAt[0] > limit || out.length == 0) {
            return 0;
        }
        // heap keys are lower bounds: the walk prunes by them and reports by the live key; a tenant it had to visit
        // although its live key is beyond the limit is repaired after the walk, so the next walk skips it
        int n = 0;
        int sp = 0;
        int ns = 0;
        stack[sp++] = 0;
        while (sp > 0 && n < out.length) {
            int i = stack[--sp];
            int t = heap[i];
            if (live == null || live.applyAsDouble(t) <= limit) {
                out[n++] = t;
            } else {
                if (ns == stale.length) {
                    stale = Arrays.copyOf(stale, ns * 2);
                }
                stale[ns++] = t;
            }
            int c = 2 * i + 1;
            // push the right child first so the left subtree is walked first
            for (int k = c + 1; k >= c; k--) {
                if (k < size && keyAt[k] <= limit) {
                    if (sp == stack.length) {
                        stack = Arrays.copyOf(stack, sp * 2);
                    }
                    stack[sp++] = k;
                }
            }
        }
        for (int k = 0; k < ns; k++) {
            int t = stale[k];
            int i = pos[t];
            keyAt[i] = live.applyAsDouble(t);
            siftDown(i);
        }
        return n;
    }

    /** Whether (key, tie, tenant) a orders before b. */
    private static boolean less(double ka, long sa, int a, double kb, long sb, int b) {
        if (ka != kb) {
            return ka < kb;
        }
        if (sa != sb) {
            return sa < sb;
        }
        return a < b;
    }

    private int siftUp(int i) {
        int t = heap[i];
        double k = keyAt[i];
        long s = tieAt[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            int pt = heap[p];
            if (!less(k, s, t, keyAt[p], tieAt[p], pt)) {
                break;
            }
            heap[i] = pt;
            keyAt[i] = keyAt[p];
            tieAt[i] = tieAt[p];
            pos[pt] = i;
            i = p;
        }
        heap[i] = t;
        keyAt[i] = k;
        tieAt[i] = s;
        pos[t] = i;
        return i;
    }

    private void siftDown(int i) {
        int t = heap[i];
        double k = keyAt[i];
        long s = tieAt[i];
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            int r = c + 1;
            if (r < size && less(keyAt[r], tieAt[r], heap[r], keyAt[c], tieAt[c], heap[c])) {
                c = r;
            }
            int ct = heap[c];
            if (!less(keyAt[c], tieAt[c], ct, k, s, t)) {
                break;
            }
            heap[i] = ct;
            keyAt[i] = keyAt[c];
            tieAt[i] = tieAt[c];
            pos[ct] = i;
            i = c;
        }
        heap[i] = t;
        keyAt[i] = k;
        tieAt[i] = s;
        pos[t] = i;
    }
}

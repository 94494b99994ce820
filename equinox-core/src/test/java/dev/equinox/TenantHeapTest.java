package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@link TenantHeap} against a brute-force model: random adds, removes and key changes, ties included. */
class TenantHeapTest {

    /** The least present tenant by (primary, secondary, index), or -1. */
    private static int bruteMin(Map<Integer, double[]> present) {
        int best = -1;
        double[] bk = null;
        for (Map.Entry<Integer, double[]> e : present.entrySet()) {
            double[] k = e.getValue();
            int t = e.getKey();
            if (best < 0 || k[0] < bk[0] || (k[0] == bk[0] && (k[1] < bk[1] || (k[1] == bk[1] && t < best)))) {
                best = t;
                bk = k;
            }
        }
        return best;
    }

    /** The tenants whose key is within {@code limit}, by brute force; collect() must report exactly these, once each. */
    private static Set<Integer> assertCollectsExactlyThoseWithin(TenantHeap heap, Map<Integer, double[]> present, double limit,
            int tenants, String where) {
        Set<Integer> within = new HashSet<>();
        for (Map.Entry<Integer, double[]> e : present.entrySet()) {
            if (e.getValue()[0] <= limit) {
                within.add(e.getKey());
            }
        }
        int[] all = new int[tenants];
        int n = heap.collect(limit, all);
        Set<Integer> got = new HashSet<>();
        for (int i = 0; i < n; i++) {
            assertTrue(got.add(all[i]), "reported twice: " + all[i]);
        }
        assertEquals(within, got, where + ": every tenant within the limit, and only those");
        return within;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomOperations_minAndCollect_matchBruteForce(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TenantHeap heap = new TenantHeap();
        Map<Integer, double[]> present = new HashMap<>();
        int tenants = 300;
        double[] lastKey = new double[tenants]; // a tenant's key, in the heap or not (0 before any)
        for (int op = 0; op < 20_000; op++) {
            int t = rnd.nextInt(tenants);
            // few distinct keys, so that ties on the primary and the secondary key are frequent
            double key = rnd.nextInt(40);
            long tie = rnd.nextInt(3);
            switch (rnd.nextInt(4)) {
                case 0:
                    if (!present.containsKey(t)) {
                        heap.add(t, key, tie);
                        present.put(t, new double[] {key, tie});
                        lastKey[t] = key;
                    }
                    break;
                case 1:
                    heap.remove(t); // keeps the key it had in the heap
                    present.remove(t);
                    break;
                default:
                    heap.update(t, key, tie); // an absent tenant's key is updated too
                    lastKey[t] = key;
                    if (present.containsKey(t)) {
                        present.put(t, new double[] {key, tie});
                    }
            }
            assertEquals(lastKey[t], heap.key(t), "op " + op + ": key of tenant " + t);
            int other = rnd.nextInt(tenants);
            assertEquals(lastKey[other], heap.key(other), "op " + op + ": key of tenant " + other);
            assertEquals(present.size(), heap.size());
            int expected = bruteMin(present);
            assertEquals(expected, heap.min(), "op " + op);
            assertEquals(expected < 0 ? Double.POSITIVE_INFINITY : present.get(expected)[0], heap.minKey());
            if (op % 50 == 0) {
                double limit = rnd.nextInt(40);
                Set<Integer> within = assertCollectsExactlyThoseWithin(heap, present, limit, tenants, "op " + op);
                int[] few = new int[5];
                int m = heap.collect(limit, few);
                assertEquals(Math.min(5, within.size()), m);
                for (int i = 0; i < m; i++) {
                    assertTrue(within.contains(few[i]));
                }
                if (m > 0) {
                    assertEquals(heap.min(), few[0], "the walk starts at the minimum");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18})
    void liveKeysRisingUnannounced_minKeyAndCollect_matchBruteForce(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] keys = new double[200];
        TenantHeap heap = new TenantHeap(t -> keys[t]);
        Map<Integer, double[]> present = new HashMap<>();
        int tenants = keys.length;
        for (int t = 0; t < tenants; t++) {
            if (rnd.nextBoolean()) {
                keys[t] = rnd.nextInt(50);
                heap.add(t, keys[t], 0);
                present.put(t, new double[] {keys[t], 0});
            }
        }
        for (int round = 0; round < 400; round++) {
            // a step's charges: many tenants rise at once, some several times; now and then a refund lowers one
            int changes = 1 + rnd.nextInt(tenants);
            for (int c = 0; c < changes; c++) {
                int t = rnd.nextInt(tenants);
                boolean fall = rnd.nextInt(8) == 0;
                double k = fall ? rnd.nextInt(50) : keys[t] + rnd.nextInt(3) + (rnd.nextBoolean() ? 0.5 : 0);
                boolean lower = k < keys[t];
                keys[t] = k;
                if (lower) {
                    heap.update(t, k); // a fall is announced; a rise is not
                }
                if (present.containsKey(t)) {
                    present.put(t, new double[] {k, 0});
                }
            }
            int expected = bruteMin(present);
            assertEquals(expected, heap.min(), "round " + round);
            assertEquals(expected < 0 ? Double.POSITIVE_INFINITY : present.get(expected)[0], heap.minKey());
            // within a bound: exactly the tenants whose current key is within it, whatever their heap key
            assertCollectsExactlyThoseWithin(heap, present, heap.minKey() + rnd.nextInt(6), tenants, "round " + round);
            // the order survives removals and re-additions of the minimum
            for (int k = 0; k < 3 && heap.size() > 0; k++) {
                int m = heap.min();
                assertEquals(bruteMin(present), m);
                double[] key = present.remove(m);
                heap.remove(m);
                assertEquals(bruteMin(present), heap.min());
                heap.add(m, key[0], 0);
                present.put(m, key);
            }
            // a tenant leaves and returns with its current key
            if (rnd.nextInt(3) == 0) {
                int t = rnd.nextInt(tenants);
                if (present.remove(t) != null) {
                    heap.remove(t);
                    heap.add(t, keys[t], 0);
                    present.put(t, new double[] {keys[t], 0});
                }
            }
        }
    }

    @Test
    void add_present_throwsAndUpdateOfAbsent_keepsKeyOnly() {
        TenantHeap heap = new TenantHeap();
        heap.add(3, 1.0, 0);
        assertThrows(IllegalStateException.class, () -> heap.add(3, 2.0, 0));
        heap.update(70, 5.0); // absent, beyond the initial capacity: the key is kept, nothing is added
        assertFalse(heap.contains(70));
        assertEquals(5.0, heap.key(70));
        assertEquals(1, heap.size());
        heap.remove(70); // absent: nothing
        assertEquals(3, heap.min());
        heap.remove(3);
        assertEquals(-1, heap.min());
        assertEquals(0, heap.collect(10, new int[4]));
        assertEquals(Double.POSITIVE_INFINITY, heap.minKey());
    }

    @Test
    void ties_equalKeys_tenantSeenFirstWins() {
        TenantHeap heap = new TenantHeap();
        int[] order = {9, 4, 7, 1, 8};
        for (int t : order) {
            heap.add(t, 2.0, 0);
        }
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        for (int t : sorted) {
            assertEquals(t, heap.min());
            heap.remove(t);
        }
    }
}

package dev.equinox.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LongLongMapTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void operations_randomAgainstHashMap_sameContents(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        LongLongMap map = new LongLongMap(4);
        Map<Long, Long> ref = new HashMap<>();
        long nextId = 0;
        for (int op = 0; op < 200_000; op++) {
            int kind = rnd.nextInt(10);
            if (kind < 4) {
                long id = nextId++; // ids increase, like request ids
                long v = rnd.nextLong();
                map.put(id, v);
                ref.put(id, v);
            } else if (kind < 7 && nextId > 0) {
                long id = rnd.nextLong(Math.max(0, nextId - 500), nextId);
                map.remove(id);
                ref.remove(id);
            } else if (nextId > 0) {
                long id = rnd.nextLong(Math.max(0, nextId - 600), nextId);
                long v = rnd.nextLong();
                if (ref.containsKey(id)) {
                    map.put(id, v);
                    ref.put(id, v);
                }
            }
            if (op % 1000 == 0) {
                for (long id = Math.max(0, nextId - 700); id < nextId; id++) {
                    Long expected = ref.get(id);
                    assertEquals(expected == null ? LongLongMap.ABSENT : expected, map.get(id), "id " + id + " at op " + op);
                }
            }
        }
        assertEquals(ref.size(), map.size());
    }

    @Test
    void put_negativeKey_throws() {
        assertThrows(IllegalArgumentException.class, () -> new LongLongMap(4).put(-1, 0));
    }

    @Test
    void remove_absentKey_noChange() {
        LongLongMap map = new LongLongMap(4);
        map.put(3, 30);
        map.remove(7);
        assertEquals(1, map.size());
        assertEquals(30, map.get(3));
    }
}

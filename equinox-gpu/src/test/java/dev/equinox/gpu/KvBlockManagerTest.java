package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvBlockManagerTest {

    private static int[] prompt(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i + 1;
        }
        return p;
    }

    @Test
    void ensureCapacity_growingContext_allocatesCeilTokensOverBlockSize() {
        KvBlockManager kv = new KvBlockManager(10, 16);
        Sequence s = kv.getOrCreate(1, () -> prompt(20));
        kv.ensureCapacity(s, 16);
        assertEquals(1, s.blockCount);
        kv.ensureCapacity(s, 17);
        assertEquals(2, s.blockCount);
        kv.ensureCapacity(s, 10); // never shrinks
        assertEquals(2, s.blockCount);
        kv.ensureCapacity(s, 48);
        assertEquals(3, s.blockCount);
        assertEquals(7, kv.freeBlocks());
        assertEquals(3, kv.usedBlocks());
    }

    @Test
    void slot_positionsAcrossBlocks_mapThroughBlockTable() {
        KvBlockManager kv = new KvBlockManager(8, 4);
        Sequence a = kv.getOrCreate(1, () -> prompt(4));
        Sequence b = kv.getOrCreate(2, () -> prompt(4));
        kv.ensureCapacity(a, 4);   // a: block 0
        kv.ensureCapacity(b, 8);   // b: blocks 1, 2
        kv.ensureCapacity(a, 5);   // a: blocks 0, 3
        assertEquals(0, kv.slot(a, 0));
        assertEquals(3, kv.slot(a, 3));
        assertEquals(3 * 4 + 0, kv.slot(a, 4));
        assertEquals(1 * 4 + 2, kv.slot(b, 2));
        assertEquals(2 * 4 + 3, kv.slot(b, 7));
        assertThrows(IllegalStateException.class, () -> kv.slot(a, 8));
    }

    @Test
    void freeBlocks_preemption_returnsBlocksButKeepsTokens() {
        KvBlockManager kv = new KvBlockManager(4, 4);
        Sequence s = kv.getOrCreate(9, () -> prompt(6));
        s.append(77);
        kv.ensureCapacity(s, 7);
        kv.freeBlocks(9);
        assertEquals(0, s.blockCount);
        assertEquals(4, kv.freeBlocks());
        assertEquals(7, kv.get(9).length, "tokens survive for the recompute");
        assertEquals(1, kv.get(9).generated());
        kv.release(9);
        assertNull(kv.get(9));
        assertEquals(0, kv.liveSequences());
    }

    @Test
    void ensureCapacity_poolExhausted_throwsNamingTheRequest() {
        KvBlockManager kv = new KvBlockManager(2, 4);
        Sequence s = kv.getOrCreate(5, () -> prompt(12));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kv.ensureCapacity(s, 12));
        assertTrue(e.getMessage().contains("request 5"));
        assertEquals(0, kv.freeBlocks());
        kv.release(5);
        assertEquals(2, kv.freeBlocks(), "the partially allocated blocks come back on release");
    }

    @Test
    void allocateAndFree_manyCycles_neverDuplicatesOrLosesBlocks() {
        KvBlockManager kv = new KvBlockManager(32, 8);
        java.util.Random rnd = new java.util.Random(3);
        for (int round = 0; round < 200; round++) {
            long id = rnd.nextInt(6);
            if (rnd.nextBoolean()) {
                Sequence s = kv.getOrCreate(id, () -> prompt(1));
                try {
                    kv.ensureCapacity(s, 1 + rnd.nextInt(64));
                } catch (IllegalStateException full) {
                    kv.release(id);
                }
            } else if (rnd.nextBoolean()) {
                kv.freeBlocks(id);
            } else {
                kv.release(id);
            }
            Set<Integer> held = new HashSet<>();
            int count = 0;
            for (long s = 0; s < 6; s++) {
                Sequence q = kv.get(s);
                if (q != null) {
                    for (int b = 0; b < q.blockCount; b++) {
                        assertTrue(held.add(q.blocks[b]), "block " + q.blocks[b] + " held twice");
                        count++;
                    }
                }
            }
            assertEquals(32, count + kv.freeBlocks(), "blocks are conserved");
        }
    }

    @Test
    void blocksFor_nearIntMax_doesNotOverflow() {
        assertEquals(134_217_728, KvBlockManager.blocksFor(Integer.MAX_VALUE, 16));
        assertEquals(Integer.MAX_VALUE, KvBlockManager.blocksFor(Integer.MAX_VALUE, 1));
        assertEquals(Integer.MAX_VALUE, KvBlockManager.blocksFor(Long.MAX_VALUE, 1), "saturates");
        assertEquals(2, KvBlockManager.blocksFor(17, 16));
        assertEquals(0, KvBlockManager.blocksFor(0, 16));
    }

    @Test
    void maxBlocksPerSeq_hugeMaxContext_isCappedAtTheCache() {
        assertEquals(2048, GpuModel.maxBlocksPerSeq(Integer.MAX_VALUE, 16, 2048), "--max-context 2147483647");
        assertEquals(7, GpuModel.maxBlocksPerSeq(100, 16, 2048));
        assertTrue(GpuModel.deviceBytes(LlamaConfig.tiny(), 2048, 16, 64, 8, 2048L * 16) > 0);
    }
}

package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StepPlanTest {

    private static int[] seq(int from, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    @Test
    void pack_decodesThenChunks_flatArraysMatchHandComputedLayout() {
        KvBlockManager kv = new KvBlockManager(16, 4);
        // request 1: prompt of 5, fully prefilled earlier (blocks 0, 1), generated one token -> decode at 5
        Sequence a = kv.getOrCreate(1, () -> seq(100, 5));
        kv.ensureCapacity(a, 5);
        a.append(900);
        // request 2: prompt of 10, first chunk 0..5 now (not producing), rest later
        kv.getOrCreate(2, () -> seq(200, 10));
        // request 3: prompt of 3, whole prompt in one chunk (producing)
        kv.getOrCreate(3, () -> seq(300, 3));

        StepPlan p = new StepPlan();
        p.pack(new ScriptedStep().decode(1, 5).prefill(2, 0, 6, false).prefill(3, 0, 3, true), kv);

        assertEquals(3, p.entries);
        assertEquals(1, p.decodeCount);
        assertEquals(10, p.tokens);
        assertArrayEquals(new int[] {900, 200, 201, 202, 203, 204, 205, 300, 301, 302}, Arrays.copyOf(p.tokenIds, 10));
        assertArrayEquals(new int[] {5, 0, 1, 2, 3, 4, 5, 0, 1, 2}, Arrays.copyOf(p.positions, 10));
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1, 1, 2, 2, 2}, Arrays.copyOf(p.tokenEntry, 10));
        assertArrayEquals(new int[] {0, 1, 7, 10}, Arrays.copyOf(p.queryStart, 4));
        assertArrayEquals(new int[] {6, 6, 3}, Arrays.copyOf(p.contextLens, 3));
        // blocks: a holds 0, 1; request 2 gets 2, 3; request 3 gets 4
        assertEquals(2, p.maxBlocks);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0}, Arrays.copyOf(p.blockTables, 6));
        // slots: a's position 5 -> block 1 offset 1 = 5; request 2 positions 0..5 -> 8..13; request 3 -> 16..18
        assertArrayEquals(new int[] {5, 8, 9, 10, 11, 12, 13, 16, 17, 18}, Arrays.copyOf(p.slots, 10));
        // samples: the decode (token 0) and request 3's last token (9); request 2's chunk produces nothing
        assertEquals(2, p.samples);
        assertArrayEquals(new int[] {0, 9}, Arrays.copyOf(p.sampleRows, 2));
        assertArrayEquals(new int[] {0, 2}, Arrays.copyOf(p.sampleEntries, 2));
        assertEquals(6, p.decodeContextTokens);
        assertEquals(6L * 6 + 3L * 3, p.prefillAttendedPairs);
    }

    @Test
    void pack_secondChunk_continuesPositionsAndSeesWholeContext() {
        KvBlockManager kv = new KvBlockManager(16, 4);
        kv.getOrCreate(2, () -> seq(200, 10));
        StepPlan p = new StepPlan();
        p.pack(new ScriptedStep().prefill(2, 0, 6, false), kv);
        p.pack(new ScriptedStep().prefill(2, 6, 4, true), kv);
        assertArrayEquals(new int[] {6, 7, 8, 9}, Arrays.copyOf(p.positions, 4));
        assertArrayEquals(new int[] {206, 207, 208, 209}, Arrays.copyOf(p.tokenIds, 4));
        assertEquals(10, p.contextLens[0]);
        assertEquals(3, p.maxBlocks);
        assertArrayEquals(new int[] {0, 1, 2}, Arrays.copyOf(p.blockTables, 3));
        assertArrayEquals(new int[] {4 + 2, 4 + 3, 8, 9}, Arrays.copyOf(p.slots, 4));
        assertEquals(3, p.sampleRows[0]);
    }

    @Test
    void pack_prefillRestartAtZero_dropsStaleBlocksBeforeReallocating() {
        KvBlockManager kv = new KvBlockManager(4, 4);
        Sequence s = kv.getOrCreate(7, () -> seq(1, 8));
        kv.ensureCapacity(s, 8); // blocks 0, 1 from an earlier admission
        s.append(55);            // generated one token before being preempted
        StepPlan p = new StepPlan();
        // recompute prompt + generated token in one chunk, producing the next token
        p.pack(new ScriptedStep().prefill(7, 0, 9, true), kv);
        assertEquals(3, s.blockCount);
        assertEquals(1, kv.freeBlocks(), "old blocks were returned before the new allocation, not leaked");
        assertEquals(55, p.tokenIds[8]);
    }

    @Test
    void pack_inconsistentEntries_throwNamingTheRequest() {
        KvBlockManager kv = new KvBlockManager(8, 4);
        kv.getOrCreate(1, () -> seq(0, 4));
        StepPlan p = new StepPlan();
        assertTrue(assertThrows(IllegalStateException.class, () -> p.pack(new ScriptedStep().prefill(1, 0, 5, true), kv))
                .getMessage().contains("only 4 tokens are known"));
        assertTrue(assertThrows(IllegalStateException.class, () -> p.pack(new ScriptedStep().prefill(1, 0, 3, true), kv))
                .getMessage().contains("must end at the sequence's end"));
        assertTrue(assertThrows(IllegalStateException.class, () -> p.pack(new ScriptedStep().decode(9, 0), kv))
                .getMessage().contains("request 9"));
    }

    @Test
    void pack_manyEntries_growsBuffersAndStaysConsistent() {
        KvBlockManager kv = new KvBlockManager(1024, 16);
        ScriptedStep step = new ScriptedStep();
        for (long id = 0; id < 100; id++) {
            long i = id;
            kv.getOrCreate(id, () -> seq((int) i * 1000, 30));
            step.prefill(id, 0, 30, true);
        }
        StepPlan p = new StepPlan();
        p.pack(step, kv);
        assertEquals(3000, p.tokens);
        assertEquals(100, p.samples);
        for (int e = 0; e < 100; e++) {
            assertEquals(e * 30, p.queryStart[e]);
            assertEquals(e * 30 + 29, p.sampleRows[e]);
            assertEquals(e * 1000 + 29, p.tokenIds[p.sampleRows[e]]);
        }
        // slots are unique across the step
        int[] slots = Arrays.copyOf(p.slots, p.tokens);
        assertEquals(p.tokens, Arrays.stream(slots).distinct().count());
    }
}

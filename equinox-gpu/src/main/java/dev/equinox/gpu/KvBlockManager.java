package dev.equinox.gpu;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Host-side bookkeeping of the paged KV cache: a pool of {@code numBlocks} blocks of {@code blockSize} token
 * slots (the same numbers as the scheduler's {@code kvCache(blocks, tokensPerBlock)}, so the scheduler's
 * admission control guarantees the pool never runs dry), and the block table of every live sequence.
 *
 * <p>Blocks are allocated lazily as a sequence's context grows, returned on preemption ({@link #freeBlocks};
 * the tokens are kept so the prefill can recompute them) and on finish ({@link #release}). Free blocks sit on a
 * LIFO stack: O(1) allocate and free, no allocation in steady state. Engine thread only.
 */
final class KvBlockManager {
    private final int numBlocks;
    private final int blockSize;
    private final int[] freeStack;
    private int freeTop;
    private final Map<Long, Sequence> sequences = new HashMap<>();

    KvBlockManager(int numBlocks, int blockSize) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("KV cache needs blocks > 0 and blockSize > 0, got " + numBlocks + " x " + blockSize);
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.freeStack = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            freeStack[i] = numBlocks - 1 - i; // block 0 is handed out first
        }
        this.freeTop = numBlocks;
    }

    int numBlocks() {
        return numBlocks;
    }

    int blockSize() {
        return blockSize;
    }

    int freeBlocks() {
        return freeTop;
    }

    int usedBlocks() {
        return numBlocks - freeTop;
    }

    int liveSequences() {
        return sequences.size();
    }

    /** Blocks needed to hold {@code tokens} positions, computed in long and saturated at {@link Integer#MAX_VALUE}. */
    static int blocksFor(long tokens, int blockSize) {
        return (int) Math.min(Integer.MAX_VALUE, (Math.max(0, tokens) + blockSize - 1) / blockSize);
    }

    Sequence get(long id) {
        return sequences.get(id);
    }

    /** The sequence of {@code id}, created with the prompt from {@code prompt} if unknown. */
    Sequence getOrCreate(long id, Supplier<int[]> prompt) {
        Sequence s = sequences.get(id);
        if (s == null) {
            s = new Sequence(id, prompt.get());
            sequences.put(id, s);
        }
        return s;
    }

    /**
     * Grows {@code s}'s block table to cover {@code tokens} positions.
     *
     * @throws IllegalStateException when the pool is exhausted (the scheduler's KV accounting and the executor
     *                               disagree); blocks taken before the failure stay with {@code s}
     */
    void ensureCapacity(Sequence s, int tokens) {
        int need = blocksFor(tokens, blockSize);
        while (s.blockCount < need) {
            if (freeTop == 0) {
                throw new IllegalStateException("KV cache exhausted: request " + s.id + " needs " + need + " blocks for "
                        + tokens + " tokens, holds " + s.blockCount + ", 0 of " + numBlocks + " free");
            }
            s.addBlock(freeStack[--freeTop]);
        }
    }

    /** The cache slot of position {@code pos} of {@code s} (its block must be allocated). */
    int slot(Sequence s, int pos) {
        int b = pos / blockSize;
        if (pos < 0 || b >= s.blockCount) {
            throw new IllegalStateException("request " + s.id + ": position " + pos + " is outside its " + s.blockCount
                    + " blocks of " + blockSize);
        }
        return s.blocks[b] * blockSize + pos % blockSize;
    }

    /** Returns {@code id}'s blocks to the pool, keeping its tokens (preemption, failed step). */
    void freeBlocks(long id) {
        Sequence s = sequences.get(id);
        if (s != null) {
            freeBlocks(s);
        }
    }

    void freeBlocks(Sequence s) {
        for (int i = s.blockCount - 1; i >= 0; i--) {
            freeStack[freeTop++] = s.blocks[i];
        }
        s.blockCount = 0;
    }

    /** Forgets {@code id} entirely (finished, cancelled, failed); returns its blocks. */
    void release(long id) {
        Sequence s = sequences.remove(id);
        if (s != null) {
            freeBlocks(s);
        }
    }
}

package dev.equinox.gpu;

import java.util.Arrays;

/**
 * One step packed into the flat int arrays the kernels read (the "varlen" layout of vLLM / FlashAttention): all
 * tokens of all entries back to back, decode entries first (entry {@code e < decodeCount} owns token {@code e}).
 *
 * <ul>
 * <li>{@code tokenIds[t]}, {@code positions[t]}: the input token and its position in its sequence;</li>
 * <li>{@code slots[t]}: the KV-cache slot its key and value are written to;</li>
 * <li>{@code tokenEntry[t]}: the entry the token belongs to;</li>
 * <li>{@code queryStart[e]} .. {@code queryStart[e + 1]}: the entry's tokens;</li>
 * <li>{@code contextLens[e]}: keys its last token sees (offset + count, its own chunk included);</li>
 * <li>{@code blockTables[e * maxBlocks + b]}: its block table, padded with block 0;</li>
 * <li>{@code sampleRows[r]}, {@code sampleEntries[r]}: the last token of each entry that produces a token
 * (the rows whose logits are computed and sampled).</li>
 * </ul>
 *
 * <p>Packing also allocates the KV blocks the step writes to, and drops the stale blocks of a request whose
 * prefill restarts at position 0 (a recompute after preemption). Buffers grow and are reused: no allocation
 * per step in steady state. Engine thread only.
 */
final class StepPlan {
    int entries;
    int decodeCount;
    int tokens;
    int maxBlocks;
    int samples;
    long prefillAttendedPairs;
    long decodeContextTokens;

    int[] tokenIds = new int[64];
    int[] positions = new int[64];
    int[] slots = new int[64];
    int[] tokenEntry = new int[64];
    int[] queryStart = new int[17];
    int[] contextLens = new int[16];
    int[] blockTables = new int[64];
    int[] sampleRows = new int[16];
    int[] sampleEntries = new int[16];
    Sequence[] sequences = new Sequence[16];

    /**
     * Packs {@code step}. Every entry's sequence must exist in {@code kv}.
     *
     * @throws IllegalStateException for an entry inconsistent with its sequence (tokens not known yet, a decode
     *                               that is not at the sequence's end) or an exhausted KV pool
     */
    void pack(StepEntries step, KvBlockManager kv) {
        int n = step.size();
        int d = step.decodeCount();
        entries = n;
        decodeCount = d;
        ensureEntries(n);
        prefillAttendedPairs = 0;
        decodeContextTokens = 0;
        int total = 0;
        int maxB = 0;
        for (int e = 0; e < n; e++) {
            long id = step.requestId(e);
            Sequence s = kv.get(id);
            if (s == null) {
                throw new IllegalStateException("request " + id + " has no sequence in the executor");
            }
            boolean prefill = step.isPrefill(e);
            if (prefill != (e >= d)) {
                throw new IllegalStateException("entry " + e + " of request " + id + ": decode entries must come first ("
                        + d + " decodes)");
            }
            int off = step.tokenOffset(e);
            int cnt = step.tokenCount(e);
            if (cnt <= 0 || off < 0 || (!prefill && cnt != 1)) {
                throw new IllegalStateException("entry " + e + " of request " + id + ": bad offset " + off + " / count " + cnt);
            }
            if (off + cnt > s.length) {
                throw new IllegalStateException("request " + id + ": step covers positions " + off + ".." + (off + cnt - 1)
                        + " but only " + s.length + " tokens are known");
            }
            if (step.producesToken(e) && off + cnt != s.length) {
                throw new IllegalStateException("request " + id + ": a token-producing entry must end at the sequence's end ("
                        + s.length + "), ends at " + (off + cnt));
            }
            if (prefill && off == 0 && s.blockCount > 0) {
                kv.freeBlocks(s); // recompute from scratch: the old blocks are stale
            }
            kv.ensureCapacity(s, off + cnt);
            sequences[e] = s;
            total += cnt;
            maxB = Math.max(maxB, KvBlockManager.blocksFor(off + cnt, kv.blockSize()));
            contextLens[e] = off + cnt;
            if (prefill) {
                prefillAttendedPairs += (long) cnt * (off + cnt);
            } else {
                decodeContextTokens += off + cnt;
            }
        }
        tokens = total;
        maxBlocks = Math.max(1, maxB);
        ensureTokens(total);
        if (blockTables.length < n * maxBlocks) {
            blockTables = new int[Math.max(n * maxBlocks, blockTables.length * 2)];
        }
        Arrays.fill(blockTables, 0, n * maxBlocks, 0);
        int t = 0;
        int r = 0;
        for (int e = 0; e < n; e++) {
            Sequence s = sequences[e];
            int off = step.tokenOffset(e);
            int cnt = step.tokenCount(e);
            queryStart[e] = t;
            for (int k = 0; k < cnt; k++) {
                int pos = off + k;
                tokenIds[t] = s.tokens[pos];
                positions[t] = pos;
                slots[t] = kv.slot(s, pos);
                tokenEntry[t] = e;
                t++;
            }
            System.arraycopy(s.blocks, 0, blockTables, e * maxBlocks, KvBlockManager.blocksFor(off + cnt, kv.blockSize()));
            if (step.producesToken(e)) {
                sampleRows[r] = t - 1;
                sampleEntries[r] = e;
                r++;
            }
        }
        queryStart[n] = t;
        samples = r;
    }

    /** Clears the sequence references (so finished sequences can be collected). */
    void clear() {
        Arrays.fill(sequences, 0, entries, null);
    }

    private void ensureEntries(int n) {
        if (contextLens.length < n) {
            int c = Math.max(n, contextLens.length * 2);
            contextLens = new int[c];
            queryStart = new int[c + 1];
            sampleRows = new int[c];
            sampleEntries = new int[c];
            sequences = new Sequence[c];
        }
    }

    private void ensureTokens(int n) {
        if (tokenIds.length < n) {
            int c = Math.max(n, tokenIds.length * 2);
            tokenIds = new int[c];
            positions = new int[c];
            slots = new int[c];
            tokenEntry = new int[c];
        }
    }
}

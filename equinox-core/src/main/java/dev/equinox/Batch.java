package dev.equinox;

import java.util.Arrays;

/**
 * One engine step, as {@link Scheduler#nextBatch()} hands it out: decode entries first (every running request
 * past its prefill takes one token), then prefill chunks. The same instance is reused for every step (the
 * scheduler allocates nothing per step), so it is valid only until the step is completed or failed: after a
 * completion, {@link #request(int)} of a decode entry throws {@link IllegalStateException} (the request is read
 * from the scheduler's running set, which the completion changes), and the other accessors describe a finished
 * step.
 *
 * <p>The engine runs the entries, optionally records per entry what happened ({@link #report}), then calls
 * {@link Scheduler#complete}. Entries it does not report take the defaults: a decode entry, or the last chunk of
 * a prefill, produced one token; other chunks produced none; nothing finished unless the output cap was hit.
 * So an engine only reports stop tokens and aborts.
 *
 * <p>Engine thread only.
 */
public final class Batch {
    /** A prefill chunk's kind (decode entries, indices below decodeCount, store none). */
    private static final byte PREFILL = 2;
    /** A prefill chunk that ends the prompt (it yields a token): known when the entry is added. */
    private static final byte PREFILL_LAST = 3;
    private static final FinishReason[] REASONS = FinishReason.values();
    static final byte NONE = (byte) FinishReason.NONE.ordinal();

    long stepId = -1;
    int size;
    int decodeCount;
    int prefillTokens;
    long prefillAttendedPairs;
    long decodeContextTokens;
    boolean issued;

    /**
     * The entries' requests. A decode entry's is copied in only when asked for ({@link #copyDecodeRequests()}): the
     * decodes are the scheduler's running requests, read from its running array ({@link #runningView}) by the
     * runs; copying thousands of references every step cost G1 write barriers (docs/performance.md) that the
     * scheduler's own loops never needed. Until copied, the decode slots may still hold
     * requests of an earlier step (at most the largest batch; overwritten by later copies).
     */
    Req[] reqs = new Req[16];
    /** Entries of reqs that may hold a reference: up to the largest size since the last seal(). */
    private int filled;
    /** The scheduler's running array when the decode entries were made (the runs index it). */
    private Req[] runningView;
    private boolean decodeRequestsCopied;
    private long[] ids = new long[16];
    /** Each entry's running index in the scheduler when the batch was formed (its completion reads by it). */
    private int[] slot = new int[16];
    private int[] tenant = new int[16];
    private byte[] kind = new byte[16];
    private int[] offset = new int[16];
    private int[] length = new int[16];
    /**
     * Tokens produced by a prefill entry, or by a reported decode; an unreported decode produced one (see
     * {@link #producedAt}). Decode entries' kind, length and default production are not stored: they are implied by
     * {@code i < decodeCount}, so forming a step writes nothing per decode beyond the bulk copies of addDecodes.
     */
    int[] produced = new int[16];
    /**
     * Finish reasons as ordinals: a byte store per entry, not a reference store with its GC write barrier. NONE
     * (0) everywhere at the start of a step, like {@link #reported}: reset clears just the entries the last step
     * wrote (its reported entries and those the completion marked LENGTH), so nothing is filled per decode.
     */
    byte[] finish = new byte[16];
    boolean[] reported = new boolean[16];
    /** Entries the completion marked LENGTH ({@link #markLength}), cleared at the next reset. */
    private int[] lengthMarked = new int[16];
    private int lengthMarkedCount;
    /** Entries reported by {@link #report}, in report order: the completion applies them, not a scan of every entry. */
    int[] reportedEntries = new int[16];
    int reportedCount;
    /**
     * The decode entries as runs of consecutive running indices: run k is entries {@code runEntry[k] ..
     * runEntry[k] + runLength[k] - 1}, the running requests {@code runFirst[k] ..}. Completion walks these runs over the
     * scheduler's running arrays directly, reading no per-entry array for an entry the engine did not report.
     */
    int runCount;
    int[] runFirst = new int[8];
    int[] runEntry = new int[8];
    int[] runLength = new int[8];
    /** Entries that finished in this step (set by the completion, for the policy: 0 means none did). */
    int finishedCount;

    Batch() {
    }

    /** Step number, increasing from 0; a completion must name the batch of the current step. */
    public long stepId() {
        return stepId;
    }

    /** Number of entries. */
    public int size() {
        return size;
    }

    /** Whether nothing is to run this step. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Number of decode entries (they come first: indices 0 .. decodeCount-1). */
    public int decodeCount() {
        return decodeCount;
    }

    /** Number of prefill-chunk entries. */
    public int prefillCount() {
        return size - decodeCount;
    }

    /** Prompt tokens processed by all prefill chunks of the step. */
    public int prefillTokens() {
        return prefillTokens;
    }

    /** Sum over prefill chunks of chunk tokens x context at the chunk's end (attention work). */
    public long prefillAttendedPairs() {
        return prefillAttendedPairs;
    }

    /** Sum of the decode entries' context lengths. */
    public long decodeContextTokens() {
        return decodeContextTokens;
    }

    /** Tokens the step processes: decode entries plus prefill tokens (what the token budget bounds). */
    public int totalTokens() {
        return decodeCount + prefillTokens;
    }

    /**
     * The request of entry {@code i}, until the step is completed ({@link RequestListener#onStep} still sees it) or
     * the next step is formed. Prefer {@link #requestId(int)} and {@link #tenantIndex(int)} in per-entry loops: they read the
     * batch's own arrays.
     *
     * @throws IllegalStateException if the step was completed and the entry is a decode
     */
    public RequestHandle request(int i) {
        check(i);
        return req(i);
    }

    /**
     * The dense tenant index of entry {@code i}'s request (as {@link RequestHandle#tenantIndex()}), read from the
     * batch's own array: a policy charging every entry of a large step touches no request object for it.
     */
    public int tenantIndex(int i) {
        check(i);
        return tenant[i];
    }

    /** The id of entry {@code i}'s request. */
    public long requestId(int i) {
        check(i);
        return ids[i];
    }

    /** Whether entry {@code i} is a prefill chunk (else a decode). */
    public boolean isPrefill(int i) {
        check(i);
        return i >= decodeCount;
    }

    /**
     * Entry {@code i}'s first token position within the request's sequence (prompt followed by the tokens
     * generated so far; after a preemption the generated tokens are recomputed as part of the prefill).
     */
    public int tokenOffset(int i) {
        check(i);
        return offset[i];
    }

    /** Tokens entry {@code i} processes (1 for a decode). */
    public int tokenCount(int i) {
        check(i);
        return i < decodeCount ? 1 : length[i];
    }

    /** Whether entry {@code i} yields an output token when it runs (a decode, or the last prefill chunk). */
    public boolean producesToken(int i) {
        check(i);
        return i < decodeCount || kind[i] != PREFILL;
    }

    /** Tokens entry {@code i} produced (the default until reported). */
    public int produced(int i) {
        check(i);
        return producedAt(i);
    }

    /** How entry {@code i}'s request ended in this step ({@link FinishReason#NONE} if it continues). */
    public FinishReason finishReason(int i) {
        check(i);
        return REASONS[finish[i]];
    }

    /**
     * Records what entry {@code i} did: tokens produced (0 or 1 for an entry that {@linkplain #producesToken
     * produces a token}, 0 for a prefill chunk that does not end the prompt) and how its request ended
     * ({@link FinishReason#NONE} if it continues; a chunk that does not end the prompt can only be aborted).
     *
     * @throws InvalidStepException if the entry was already reported, the batch is not out, or the values are
     *                              impossible
     */
    public void report(int i, int tokens, FinishReason reason) {
        check(i);
        if (!issued) {
            throw new InvalidStepException("step " + stepId + " is not awaiting completion");
        }
        if (reported[i]) {
            throw new InvalidStepException("request " + ids[i] + " reported twice in step " + stepId);
        }
        if (tokens < 0 || tokens > 1) {
            throw new InvalidStepException("request " + ids[i] + ": tokens produced must be 0 or 1 per step, got " + tokens);
        }
        if (reason == null) {
            throw new InvalidStepException("request " + ids[i] + ": finish reason must not be null (use NONE)");
        }
        if (!producesToken(i) && (tokens != 0 || reason == FinishReason.STOP || reason == FinishReason.LENGTH)) {
            throw new InvalidStepException("request " + ids[i] + ": entry " + i + " is a prefill chunk that does not end the "
                    + "prompt, so it can produce no token and cannot finish by " + (tokens != 0 ? "a token" : reason)
                    + " (only ABORT)");
        }
        reported[i] = true;
        produced[i] = tokens;
        finish[i] = (byte) reason.ordinal();
        if (reportedCount == reportedEntries.length) {
            reportedEntries = Arrays.copyOf(reportedEntries, reportedCount * 2);
        }
        reportedEntries[reportedCount++] = i;
    }

    /** Reports by request id instead of index; see {@link #report(int, int, FinishReason)}. */
    public void reportById(long requestId, int tokens, FinishReason reason) {
        int i = indexOf(requestId);
        if (i < 0) {
            throw new InvalidStepException("request " + requestId + " is not in step " + stepId);
        }
        report(i, tokens, reason);
    }

    /** Index of the entry for a request id, or -1. Linear in the batch size. */
    public int indexOf(long requestId) {
        for (int i = 0; i < size; i++) {
            if (ids[i] == requestId) {
                return i;
            }
        }
        return -1;
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("entry " + i + " of a batch of " + size);
        }
    }

    // ---- package-private building (engine thread) ----

    /**
     * Starts the next step. The request references of the last one are not cleared here: {@link #seal()} clears
     * those beyond the new step's entries.
     */
    void reset(long step) {
        stepId = step;
        runningView = null;
        decodeRequestsCopied = false;
        size = 0;
        decodeCount = 0;
        runCount = 0;
        for (int k = 0; k < reportedCount; k++) { // what the last step wrote: finish and reported clean again
            int e = reportedEntries[k];
            reported[e] = false;
            finish[e] = NONE;
        }
        reportedCount = 0;
        for (int k = 0; k < lengthMarkedCount; k++) {
            finish[lengthMarked[k]] = NONE;
        }
        lengthMarkedCount = 0;
        finishedCount = 0;
        prefillTokens = 0;
        prefillAttendedPairs = 0;
        decodeContextTokens = 0;
    }

    /**
     * Decode entries for the running requests {@code from .. from + n - 1} of the scheduler's running arrays (a run
     * of consecutive running indices, none in prefill), copied in bulk: one array copy per field, so a step at
     * thousands running pays one GC write barrier per run for the request references, not one per entry. The
     * fields every decode shares are written by {@link #endDecodes(Req[])}. {@code computedSum} is the sum of
     * {@code runComputed} over the run (the caller has just read it).
     */
    void addDecodes(long[] runId, int[] runTenant, int[] runComputed, int from, int n, long computedSum) {
        int d = size;
        ensureCapacity(d + n);
        System.arraycopy(runId, from, ids, d, n);
        System.arraycopy(runTenant, from, tenant, d, n);
        System.arraycopy(runComputed, from, offset, d, n);
        for (int k = 0; k < n; k++) {
            slot[d + k] = from + k;
        }
        size = d + n;
        decodeContextTokens += computedSum + n; // each decode attends to its computed tokens and itself
        if (runCount == runFirst.length) {
            runFirst = Arrays.copyOf(runFirst, runCount * 2);
            runEntry = Arrays.copyOf(runEntry, runCount * 2);
            runLength = Arrays.copyOf(runLength, runCount * 2);
        }
        runFirst[runCount] = from;
        runEntry[runCount] = d;
        runLength[runCount++] = n;
    }

    /**
     * Completes the decode entries added since the last reset: one token each, unreported. Before any prefill entry.
     * {@code running} is the scheduler's running array, which must not change at the decodes' indices until the
     * requests are copied or the step is completed ({@link #copyDecodeRequests()}).
     */
    void endDecodes(Req[] running) {
        decodeCount = size;
        runningView = running;
        decodeRequestsCopied = false;
    }

    void addPrefill(Req r, int from, int tokens) {
        int i = grow();
        reqs[i] = r;
        ids[i] = r.id;
        slot[i] = r.runIndex;
        tenant[i] = r.tenantIndex;
        kind[i] = from + tokens == r.prefillTarget ? PREFILL_LAST : PREFILL;
        offset[i] = from;
        length[i] = tokens;
        produced[i] = from + tokens == r.prefillTarget ? 1 : 0;
        finish[i] = NONE;
        reported[i] = false;
        prefillTokens += tokens;
        prefillAttendedPairs += (long) tokens * (from + tokens);
    }

    /** Drops the decode entries added so far (before {@link #endDecodes(Req[])}): the scheduler re-forms them after a preemption. */
    void dropDecodes() {
        if (decodeCount != 0) {
            throw new IllegalStateException("decode entries can be dropped only before endDecodes()");
        }
        size = 0;
        decodeCount = 0;
        decodeContextTokens = 0;
        runCount = 0;
    }

    /**
     * Ends forming: clears the request references beyond this step's entries (the decode entries' slots keep what
     * an earlier copy left until the next copy; see {@link #reqs}).
     */
    void seal() {
        if (filled > size) {
            Arrays.fill(reqs, size, filled, null);
        }
        filled = size;
    }

    private int grow() {
        ensureCapacity(size + 1);
        return size++;
    }

    private void ensureCapacity(int entries) {
        if (entries > reqs.length) {
            int n = Math.max(entries, reqs.length * 2);
            reqs = Arrays.copyOf(reqs, n);
            ids = Arrays.copyOf(ids, n);
            slot = Arrays.copyOf(slot, n);
            tenant = Arrays.copyOf(tenant, n);
            kind = Arrays.copyOf(kind, n);
            offset = Arrays.copyOf(offset, n);
            length = Arrays.copyOf(length, n);
            produced = Arrays.copyOf(produced, n);
            finish = Arrays.copyOf(finish, n);
            reported = Arrays.copyOf(reported, n);
        }
    }

    /** Tokens entry {@code i} produced: its stored count, or one for a decode the engine did not report. */
    int producedAt(int i) {
        return i < decodeCount && !reported[i] ? 1 : produced[i];
    }

    /** The completion's mark of an entry whose request reached its output cap (cleared at the next reset). */
    void markLength(int i) {
        finish[i] = (byte) FinishReason.LENGTH.ordinal();
        if (lengthMarkedCount == lengthMarked.length) {
            lengthMarked = Arrays.copyOf(lengthMarked, lengthMarkedCount * 2);
        }
        lengthMarked[lengthMarkedCount++] = i;
    }

    /** The finish reason of an ordinal as stored in {@link #finish}. */
    static FinishReason reason(byte ordinal) {
        return REASONS[ordinal];
    }

    int slot(int i) {
        return slot[i];
    }

    /** The entries' tenant indices (package-private: a policy's charging loop over the decode entries). */
    int[] tenantArray() {
        return tenant;
    }

    /** The entries' running indices (package-private, as {@link #tenantArray()}). */
    int[] slotArray() {
        return slot;
    }

    /** The entries' token offsets (package-private, as {@link #tenantArray()}). */
    int[] offsetArray() {
        return offset;
    }

    /** The entries' token counts (package-private, as {@link #tenantArray()}). */
    int[] lengthArray() {
        return length;
    }

    Req req(int i) {
        if (i < decodeCount && !decodeRequestsCopied) {
            if (runningView == null) {
                throw new IllegalStateException("step " + stepId + " is over: a decode entry's request is available only "
                        + "until the step is completed");
            }
            copyDecodeRequests();
        }
        return reqs[i];
    }

    /**
     * The step was completed: the running array changes from now on, so a decode entry's request is no longer
     * available (whether or not it was copied: the batch behaves the same whoever asked before).
     */
    void completed() {
        runningView = null;
        decodeRequestsCopied = false;
    }

    /** Copies the decode entries' requests from the running array; the scheduler calls it before that array changes. */
    void copyDecodeRequests() {
        if (!decodeRequestsCopied) {
            for (int k = 0; k < runCount; k++) {
                System.arraycopy(runningView, runFirst[k], reqs, runEntry[k], runLength[k]);
            }
            decodeRequestsCopied = true;
        }
    }
}

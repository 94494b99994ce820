package dev.equinox.gpu;

import java.util.Arrays;

/**
 * One request's state in the executor: all its known tokens (prompt, then the tokens generated so far) and the
 * KV blocks it holds, in order. Position {@code p} of the sequence lives in cache slot
 * {@code blocks[p / blockSize] * blockSize + p % blockSize}. Engine thread only.
 */
final class Sequence {
    final long id;
    final int promptLength;
    int[] tokens;
    int length;
    int[] blocks = new int[4];
    int blockCount;

    Sequence(long id, int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("request " + id + ": empty prompt");
        }
        this.id = id;
        this.promptLength = prompt.length;
        this.tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.length = prompt.length;
    }

    /** Tokens generated so far (kept across preemptions). */
    int generated() {
        return length - promptLength;
    }

    void append(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = token;
    }

    /** The generated tokens (a copy). */
    int[] generatedTokens() {
        return Arrays.copyOfRange(tokens, promptLength, length);
    }

    void addBlock(int block) {
        if (blockCount == blocks.length) {
            blocks = Arrays.copyOf(blocks, blocks.length * 2);
        }
        blocks[blockCount++] = block;
    }
}

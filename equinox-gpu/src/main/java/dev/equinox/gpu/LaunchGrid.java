package dev.equinox.gpu;

/**
 * Launch geometry of every kernel, computed on the host and unit-tested on the CPU. The numbers here must match
 * the {@code __launch_bounds__} and indexing of the .cu files under {@code src/main/cuda}.
 */
final class LaunchGrid {
    /** Query tokens per block of the prefill attention kernel (4 per warp); PF_TOKENS in attention.cu. */
    static final int PREFILL_TOKENS = 16;
    /** Warps per block of the attention kernels; ATT_WARPS in attention.cu. */
    static final int ATT_WARPS = 4;
    static final int ROW_THREADS = 256;

    private LaunchGrid() {
    }

    /** A kernel launch: function name, grid and block dimensions. */
    static final class Launch {
        final String kernel;
        final int gridX;
        final int gridY;
        final int gridZ;
        final int blockX;

        Launch(String kernel, int gridX, int gridY, int blockX) {
            this(kernel, gridX, gridY, 1, blockX);
        }

        Launch(String kernel, int gridX, int gridY, int gridZ, int blockX) {
            if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockX > 1024 || gridY > 65_535 || gridZ > 65_535) {
                throw new IllegalArgumentException(kernel + ": invalid launch grid (" + gridX + ", " + gridY + ", " + gridZ + ") x " + blockX);
            }
            this.kernel = kernel;
            this.gridX = gridX;
            this.gridY = gridY;
            this.gridZ = gridZ;
            this.blockX = blockX;
        }

        @Override
        public String toString() {
            return kernel + "<<<(" + gridX + ", " + gridY + ", " + gridZ + "), " + blockX + ">>>";
        }
    }

    static int ceilDiv(long a, int b) {
        long q = (a + b - 1) / b;
        if (q > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid too large: " + a + " / " + b);
        }
        return (int) q;
    }

    /** Fewest K tiles (of 32) one split-K block handles. */
    static final int MIN_K_TILES_PER_SPLIT = 4;

    /** Blocks per SM a skinny GEMM is split up to unless {@link KernelOptions} say otherwise. */
    static final int SPLIT_BLOCKS_PER_SM = KernelOptions.DEFAULT.splitBlocksPerSm();

    /** A GEMM that stores its result (modes 0 and 1: no split-K). */
    static Launch gemm(int m, int n, int k, int smCount, boolean bf16) {
        return gemm(m, n, k, smCount, bf16, false);
    }

    /**
     * The GEMM {@code C[M, N] = A[M, K] W[N, K]^T}: 128x128 tiles (256 threads) when they give at least two
     * blocks per SM, else 64x64 tiles (128 threads) for more parallelism on skinny (decode) shapes; when the
     * result is added into fp32 ({@code accumulate}, mode 2) and even 64x64 tiles leave SMs idle, K is split over
     * {@code gridZ} blocks (at least 4 K tiles each) that add with atomics.
     */
    static Launch gemm(int m, int n, int k, int smCount, boolean bf16, boolean accumulate) {
        return gemm(m, n, k, smCount, bf16, accumulate, SPLIT_BLOCKS_PER_SM);
    }

    /** {@link #gemm(int, int, int, int, boolean, boolean)} splitting up to {@code splitBlocksPerSm} blocks per SM. */
    static Launch gemm(int m, int n, int k, int smCount, boolean bf16, boolean accumulate, int splitBlocksPerSm) {
        if (m <= 0 || n <= 0 || k <= 0) {
            throw new IllegalArgumentException("GEMM shape must be positive: M=" + m + " N=" + n + " K=" + k);
        }
        if (k % 8 != 0) {
            throw new IllegalArgumentException("GEMM K=" + k + " must be a multiple of 8 (16-byte loads)");
        }
        String type = bf16 ? "gemm_bf16_" : "gemm_f16_";
        long bigBlocks = (long) ceilDiv(m, 128) * ceilDiv(n, 128);
        if (bigBlocks >= 2L * Math.max(1, smCount)) {
            return new Launch(type + "128x128", ceilDiv(n, 128), ceilDiv(m, 128), 256);
        }
        int gx = ceilDiv(n, 64);
        int gy = ceilDiv(m, 64);
        int splits = 1;
        long blocks = (long) gx * gy;
        long want = (long) splitBlocksPerSm * Math.max(1, smCount);
        if (accumulate && blocks < want) {
            int kTiles = ceilDiv(k, 32);
            splits = (int) Math.max(1, Math.min((want + blocks - 1) / blocks, kTiles / MIN_K_TILES_PER_SPLIT));
        }
        return new Launch(type + "64x64", gx, gy, splits, 128);
    }

    static Launch embedding(int tokens) {
        return new Launch("embedding_f16", tokens, 1, ROW_THREADS);
    }

    static Launch rmsnorm(int rows) {
        return new Launch("rmsnorm_f16", rows, 1, ROW_THREADS);
    }

    static Launch rope(int tokens, LlamaConfig c) {
        return new Launch("rope_f16", tokens, c.heads() + c.kvHeads(), c.headDim() / 2);
    }

    static Launch kvAppend(int tokens, LlamaConfig c) {
        return new Launch("kv_append_f16", tokens, 1, Math.min(1024, roundUp32(c.kvHeads() * c.headDim())));
    }

    static Launch siluMul(int tokens, int intermediate, int smCount) {
        int blocks = Math.min(ceilDiv((long) tokens * intermediate, ROW_THREADS), Math.max(1, smCount) * 32);
        return new Launch("silu_mul_f16", blocks, 1, ROW_THREADS);
    }

    static Launch argmax(int rows) {
        return new Launch("argmax_f32", rows, 1, ROW_THREADS);
    }

    /** One block of 4 warps per (decode sequence, head): the per-key kernel, or with {@code tiled} lane per key. */
    static Launch attentionDecode(int decodeSeqs, int heads, boolean tiled) {
        return new Launch(tiled ? "paged_attention_decode_tiled_f16" : "paged_attention_decode_f16", decodeSeqs, heads, 32 * ATT_WARPS);
    }

    /** The prefill attention launch: the tiled kernel, or with {@code warpPerToken} one warp per token. */
    static Launch attentionPrefill(int prefillTokens, int heads, boolean warpPerToken) {
        return warpPerToken
                ? new Launch("paged_attention_prefill_warp_f16", ceilDiv(prefillTokens, ATT_WARPS), heads, 32 * ATT_WARPS)
                : new Launch("paged_attention_prefill_f16", ceilDiv(prefillTokens, PREFILL_TOKENS), heads, 32 * ATT_WARPS);
    }

    /** The fp32-to-fp16 store of a split-K GEMM: 256 threads, at most 32 blocks per SM (grid-stride). */
    static Launch toHalf(long elements, int smCount) {
        int blocks = Math.min(ceilDiv(Math.max(1, elements), ROW_THREADS), Math.max(1, smCount) * 32);
        return new Launch("f32_to_f16", blocks, 1, ROW_THREADS);
    }

    private static int roundUp32(int v) {
        return (v + 31) / 32 * 32;
    }
}

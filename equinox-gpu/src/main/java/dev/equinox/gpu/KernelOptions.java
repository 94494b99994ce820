package dev.equinox.gpu;

/**
 * Which kernel variants {@link GpuModel} runs. Every preset and every combination the GPU tests list has passed the GPU
 * tests and {@code selftest} on an H100 (docs/gpu.md, second and fifth runs).
 * <ul>
 *   <li>{@link #DEFAULT}: the tiled prefill attention (16 queries of one request share each 32-key tile of K and V in
 *   shared memory), the decode attention with a lane per key (below) and split-K for the GEMMs that add into the
 *   residual. Measured on the H100: prefill steps of 512 / 2048 / 4096 tokens took 50 / 222 / 598 ms against 71 /
 *   493 / 1594 ms with {@link #WARP_PREFILL}.</li>
 *   <li>{@link #WARP_PREFILL}: the first kernels (one warp per prompt token reads its whole context from the
 *   cache; decode reduces across the warp once per key), kept to compare against and as a fallback.</li>
 * </ul>
 * Split-K for the GEMMs that store their result (QKV, gate/up, LM head; through an fp32 buffer) and more blocks per
 * SM are options too; on the H100 neither moved the batch-64 decode step (41.5-41.9 % of HBM bandwidth for every
 * setting tried, 2 to 16 blocks per SM), so the default leaves them off.
 *
 * <p>Set for a run with system properties: {@code equinox.gpu.kernels=default|warp}, and to vary one choice
 * {@code equinox.gpu.prefillKernel=tiled|warp}, {@code equinox.gpu.splitStore=true|false},
 * {@code equinox.gpu.splitBlocksPerSm=N}, {@code equinox.gpu.decodeKernel=tiled|warp}.
 *
 * <p>The decode attention with a lane per key ({@code tiledDecode}: 32-key tiles per warp, each lane reading its
 * key's row with 16-byte loads, one warp reduction per tile) was written after the fourth run found the step's
 * attention reading KV at about 1.5 TB/s. On the H100 (fifth run) it passed the GPU checks at head dims 32 and 128
 * and took the Llama-2-7B batch-64 decode step from 21.85 to 19.94 ms; it is part of {@link #DEFAULT}.
 *
 * @param tiledPrefill     the tiled prefill attention kernel instead of one warp per token
 * @param splitStore       split-K also for GEMMs that store their result (through an fp32 buffer)
 * @param splitBlocksPerSm blocks per SM a skinny GEMM is split up to (each 64x64 block keeps one 4 KB weight tile in
 *                         flight: more blocks, more bytes in flight, more atomic adds)
 * @param tiledDecode      the decode attention kernel with a lane per key instead of a warp reduction per key
 */
public record KernelOptions(boolean tiledPrefill, boolean splitStore, int splitBlocksPerSm, boolean tiledDecode) {
    /** The kernels a run uses unless told otherwise: tiled prefill and decode attention, split-K for the residual GEMMs. */
    public static final KernelOptions DEFAULT = new KernelOptions(true, false, 2, true);
    /** The first kernels that ran on an H100: one warp per prompt token in the prefill attention, per-key decode. */
    public static final KernelOptions WARP_PREFILL = new KernelOptions(false, false, 2, false);

    public KernelOptions {
        if (splitBlocksPerSm < 1) {
            throw new IllegalArgumentException("splitBlocksPerSm must be >= 1, got " + splitBlocksPerSm);
        }
    }

    /**
     * The options named by the system properties (see the class comment); {@link #DEFAULT} when none is set.
     *
     * @throws IllegalArgumentException for a value that is not one of those listed
     */
    public static KernelOptions fromSystemProperties() {
        String base = System.getProperty("equinox.gpu.kernels", "default");
        KernelOptions o;
        switch (base) {
            case "default":
                o = DEFAULT;
                break;
            case "warp":
                o = WARP_PREFILL;
                break;
            default:
                throw new IllegalArgumentException("equinox.gpu.kernels must be default or warp, got '" + base + "'");
        }
        String prefill = System.getProperty("equinox.gpu.prefillKernel");
        boolean tiled = o.tiledPrefill;
        if (prefill != null) {
            if (!prefill.equals("tiled") && !prefill.equals("warp")) {
                throw new IllegalArgumentException("equinox.gpu.prefillKernel must be tiled or warp, got '" + prefill + "'");
            }
            tiled = prefill.equals("tiled");
        }
        String split = System.getProperty("equinox.gpu.splitStore");
        boolean splitStore = o.splitStore;
        if (split != null) {
            if (!split.equals("true") && !split.equals("false")) {
                throw new IllegalArgumentException("equinox.gpu.splitStore must be true or false, got '" + split + "'");
            }
            splitStore = Boolean.parseBoolean(split);
        }
        int perSm = o.splitBlocksPerSm;
        String n = System.getProperty("equinox.gpu.splitBlocksPerSm");
        if (n != null) {
            try {
                perSm = Integer.parseInt(n.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("equinox.gpu.splitBlocksPerSm must be an integer >= 1, got '" + n + "'");
            }
        }
        boolean tiledDecode = o.tiledDecode;
        String decode = System.getProperty("equinox.gpu.decodeKernel");
        if (decode != null) {
            if (!decode.equals("tiled") && !decode.equals("warp")) {
                throw new IllegalArgumentException("equinox.gpu.decodeKernel must be tiled or warp, got '" + decode + "'");
            }
            tiledDecode = decode.equals("tiled");
        }
        return new KernelOptions(tiled, splitStore, perSm, tiledDecode);
    }

    @Override
    public String toString() {
        return (tiledPrefill ? "tiled" : "warp") + " prefill attention, split-K " + (splitStore ? "all skinny GEMMs" : "residual GEMMs")
                + " up to " + splitBlocksPerSm + " blocks/SM" + (tiledDecode ? ", tiled decode attention" : "");
    }
}

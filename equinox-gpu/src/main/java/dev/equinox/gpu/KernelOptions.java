package dev.equinox.gpu;

/**
 * Which kernel variants {@link GpuModel} runs. {@link #VALIDATED} is what ran on an H100 and passed the GPU tests
 * and {@code selftest} (docs/gpu.md): the per-token prefill attention, split-K only for the GEMMs that add into
 * the residual. {@link #CANDIDATE} is the design written against that run's two measured bottlenecks (its speed
 * is not measured yet), checked on the CPU only (its arithmetic is ported in {@code KernelAlgorithmTest}): the
 * tiled prefill attention (16 queries share each 32-key tile of K and V in shared memory) and split-K also for the
 * GEMMs that store their result (QKV, gate/up, LM head). The GPU tests run both; the default stays {@link #VALIDATED} until the candidate has
 * run on a GPU.
 *
 * <p>Set for a run with system properties: {@code equinox.gpu.kernels=validated|candidate}, and to vary one choice
 * {@code equinox.gpu.prefillKernel=tiled|warp}, {@code equinox.gpu.splitStore=true|false},
 * {@code equinox.gpu.splitBlocksPerSm=N}.
 *
 * @param tiledPrefill     the tiled prefill attention kernel instead of one warp per token
 * @param splitStore       split-K also for GEMMs that store their result (through an fp32 buffer)
 * @param splitBlocksPerSm blocks per SM a skinny GEMM is split up to (each 64x64 block keeps one 4 KB weight tile in
 *                         flight: more blocks, more bytes in flight, more atomic adds)
 */
public record KernelOptions(boolean tiledPrefill, boolean splitStore, int splitBlocksPerSm) {
    /** The kernels that ran and passed on an H100. */
    public static final KernelOptions VALIDATED = new KernelOptions(false, false, 2);
    /** The kernels written after the first GPU run; CPU-checked only (see the class comment). */
    public static final KernelOptions CANDIDATE = new KernelOptions(true, true, 4);

    public KernelOptions {
        if (splitBlocksPerSm < 1) {
            throw new IllegalArgumentException("splitBlocksPerSm must be >= 1, got " + splitBlocksPerSm);
        }
    }

    /**
     * The options named by the system properties (see the class comment); {@link #VALIDATED} when none is set.
     *
     * @throws IllegalArgumentException for a value that is not one of those listed
     */
    public static KernelOptions fromSystemProperties() {
        String base = System.getProperty("equinox.gpu.kernels", "validated");
        KernelOptions o;
        switch (base) {
            case "validated":
                o = VALIDATED;
                break;
            case "candidate":
                o = CANDIDATE;
                break;
            default:
                throw new IllegalArgumentException("equinox.gpu.kernels must be validated or candidate, got '" + base + "'");
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
        return new KernelOptions(tiled, splitStore, perSm);
    }

    @Override
    public String toString() {
        return (tiledPrefill ? "tiled" : "warp") + " prefill attention, split-K " + (splitStore ? "all skinny GEMMs" : "residual GEMMs")
                + " up to " + splitBlocksPerSm + " blocks/SM";
    }
}

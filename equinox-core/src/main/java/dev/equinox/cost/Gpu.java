package dev.equinox.cost;

/**
 * Datasheet figures of a GPU, for {@link RooflineCostModel}. Peak numbers as published by the vendor; what real
 * kernels reach is the business of {@link RooflineCostModel.Efficiency}.
 */
public enum Gpu {
    /** NVIDIA A100-80GB SXM: 312 TFLOP/s dense bf16, 2.0 TB/s HBM2e, NVLink 3 (300 GB/s each way). */
    A100_80GB("a100-80gb", 312e12, 2.0e12, 300e9),
    /** NVIDIA H100 SXM: 989 TFLOP/s dense bf16, 3.35 TB/s HBM3, NVLink 4 (450 GB/s each way). */
    H100_SXM("h100-sxm", 989e12, 3.35e12, 450e9);

    private final String label;
    private final double flops;
    private final double memBytesPerSecond;
    private final double linkBytesPerSecond;

    Gpu(String label, double flops, double memBytesPerSecond, double linkBytesPerSecond) {
        this.label = label;
        this.flops = flops;
        this.memBytesPerSecond = memBytesPerSecond;
        this.linkBytesPerSecond = linkBytesPerSecond;
    }

    /** Short name, e.g. {@code "a100-80gb"}. */
    public String label() {
        return label;
    }

    /** Dense 16-bit tensor-core peak, FLOP/s. */
    public double peakFlops() {
        return flops;
    }

    /** HBM bandwidth, bytes/s. */
    public double memoryBandwidth() {
        return memBytesPerSecond;
    }

    /** NVLink bandwidth per GPU in one direction, bytes/s (the bus bandwidth a ring all-reduce can use). */
    public double linkBandwidth() {
        return linkBytesPerSecond;
    }
}

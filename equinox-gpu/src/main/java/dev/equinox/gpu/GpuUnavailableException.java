package dev.equinox.gpu;

/**
 * Thrown when a GPU operation is asked for on a machine without a usable CUDA driver or device; the message says
 * which (for example {@code "no CUDA driver: libcuda.so.1 not found (UnsatisfiedLinkError)"}).
 */
public final class GpuUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GpuUnavailableException(String message) {
        super(message);
    }

    public GpuUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

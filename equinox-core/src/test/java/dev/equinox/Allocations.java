package dev.equinox;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/**
 * Counts the bytes the current thread allocates (HotSpot's {@code com.sun.management.ThreadMXBean}), for the
 * steady-state "allocates nothing" tests of the hot paths. Where the JVM cannot count per-thread allocation, the
 * calling test is skipped (a JUnit assumption), not failed.
 *
 * <pre>{@code
 * Allocations alloc = Allocations.ofCurrentThread();
 * warmUp();
 * alloc.reset();
 * hotPath();
 * assertTrue(alloc.bytes() < 1024);
 * }</pre>
 */
public final class Allocations {
    private final com.sun.management.ThreadMXBean bean;
    private final long thread = Thread.currentThread().getId();
    private long start;

    private Allocations(com.sun.management.ThreadMXBean bean) {
        this.bean = bean;
        this.start = bean.getThreadAllocatedBytes(thread);
    }

    /** A counter for the calling thread, started now; skips the test where allocation cannot be counted. */
    public static Allocations ofCurrentThread() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "this JVM cannot count per-thread allocation");
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counting is off in this JVM");
        return new Allocations(bean);
    }

    /** Starts counting again from now (after a warm-up). */
    public void reset() {
        start = bean.getThreadAllocatedBytes(thread);
    }

    /** Bytes the thread allocated since it was created or last {@linkplain #reset() reset}. */
    public long bytes() {
        return bean.getThreadAllocatedBytes(thread) - start;
    }
}

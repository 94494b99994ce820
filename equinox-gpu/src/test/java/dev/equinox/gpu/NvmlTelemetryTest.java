package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import org.junit.jupiter.api.Test;

class NvmlTelemetryTest {

    /** A scripted NVML: return codes and values set by the test. */
    static final class FakeNvml implements Nvml.NvmlLibrary {
        int initRc;
        int handleRc;
        int utilRc;
        int gpuPercent = 73;
        long used = 5L << 30;
        int shutdowns;

        @Override
        public int nvmlInit_v2() {
            return initRc;
        }

        @Override
        public int nvmlShutdown() {
            shutdowns++;
            return 0;
        }

        @Override
        public int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device) {
            device.setValue(new Pointer(0x1000 + index));
            return handleRc;
        }

        @Override
        public int nvmlDeviceGetUtilizationRates(Pointer device, Nvml.Utilization utilization) {
            utilization.gpu = gpuPercent;
            utilization.memory = 10;
            return utilRc;
        }

        @Override
        public int nvmlDeviceGetMemoryInfo(Pointer device, Nvml.Memory memory) {
            memory.total = 80L << 30;
            memory.used = used;
            memory.free = memory.total - used;
            return 0;
        }

        @Override
        public String nvmlErrorString(int result) {
            return result == 9 ? "Driver Not Loaded" : "Unknown Error";
        }
    }

    @Test
    void utilization_driverReportsPercent_returnsFraction() {
        FakeNvml nvml = new FakeNvml();
        try (NvmlTelemetry t = NvmlTelemetry.open(nvml, 0)) {
            assertTrue(t.available());
            assertEquals(0.73, t.utilization(), 1e-12);
            assertEquals(5L << 30, t.memoryUsedBytes());
            assertEquals("ok", t.reason());
        }
        assertEquals(1, nvml.shutdowns);
    }

    @Test
    void open_initFails_isUnavailableWithNvmlErrorString() {
        FakeNvml nvml = new FakeNvml();
        nvml.initRc = 9;
        NvmlTelemetry t = NvmlTelemetry.open(nvml, 0);
        assertFalse(t.available());
        assertTrue(t.reason().contains("Driver Not Loaded"), t.reason());
        assertTrue(Double.isNaN(t.utilization()));
        assertEquals(-1, t.memoryUsedBytes());
    }

    @Test
    void open_noSuchDevice_shutsNvmlDownAndIsUnavailable() {
        FakeNvml nvml = new FakeNvml();
        nvml.handleRc = 2;
        NvmlTelemetry t = NvmlTelemetry.open(nvml, 3);
        assertFalse(t.available());
        assertTrue(t.reason().contains("device 3"));
        assertEquals(1, nvml.shutdowns);
    }

    @Test
    void utilization_queryFailsLater_returnsNaNAndRecordsReason() {
        FakeNvml nvml = new FakeNvml();
        NvmlTelemetry t = NvmlTelemetry.open(nvml, 0);
        nvml.utilRc = 15;
        assertTrue(Double.isNaN(t.utilization()));
        assertTrue(t.reason().startsWith("nvmlDeviceGetUtilizationRates"));
        nvml.utilRc = 0;
        nvml.gpuPercent = 140; // out-of-range driver answer is clamped
        assertEquals(1.0, t.utilization());
        t.close();
        assertTrue(Double.isNaN(t.utilization()), "closed");
        t.close();
        assertEquals(1, nvml.shutdowns, "close is idempotent");
    }

    @Test
    void structures_layout_matchNvmlHeader() {
        assertEquals(8, new Nvml.Utilization().size(), "two unsigned ints");
        assertEquals(24, new Nvml.Memory().size(), "three unsigned long longs");
    }

    @Test
    void open_thisMachine_neverThrowsAndExplainsUnavailability() {
        try (NvmlTelemetry t = NvmlTelemetry.open(0)) {
            if (!t.available()) {
                assertFalse(t.reason().isBlank());
                assertTrue(Double.isNaN(t.utilization()));
            }
        }
    }

    @Test
    void utilization_realGpu_inUnitInterval() {
        NvmlTelemetry t = NvmlTelemetry.open(0);
        assumeTrue(t.available(), () -> "GPU test skipped: " + t.reason());
        try (t) {
            double u = t.utilization();
            assertTrue(u >= 0 && u <= 1, "utilization " + u);
            assertTrue(t.memoryUsedBytes() > 0);
        }
    }
}

package dev.equinox.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class CsvWorkloadReaderTest {

    @Test
    void read_smallFile_sortedByArrivalWithWeights() throws Exception {
        Workload w = Workloads.load("csv:" + Fixtures.path("small.csv"), 1);
        assertEquals(4, w.size());
        assertEquals(0.0, w.arrival(0));
        assertEquals(0.25, w.arrival(1));
        assertEquals(2, w.id(1));
        assertEquals("gold", w.tenant(1));
        assertEquals(10, w.input(1));
        assertEquals(5, w.output(1));
        assertEquals(2.0, w.weights().get("gold"));
        assertEquals(1.0, w.weights().get("free"));
        assertEquals(340, w.maxContext());
    }

    @Test
    void read_bareCsvPath_meansCsvFormat() throws Exception {
        assertEquals(4, Workloads.load(Fixtures.path("small.csv"), 1).size());
    }

    @Test
    void read_badInteger_namesFileLineAndField() {
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("csv:" + Fixtures.path("bad-field.csv"), 1));
        assertEquals(3, e.line());
        assertEquals("input_tokens", e.field());
        assertTrue(e.getMessage().contains("bad-field.csv:3"), e.getMessage());
        assertTrue(e.getMessage().contains("'abc'"), e.getMessage());
    }

    @Test
    void read_truncatedLine_namesLineAndFieldCount() {
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("csv:" + Fixtures.path("truncated.csv"), 1));
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("expected 5 fields"), e.getMessage());
    }

    @Test
    void read_missingFile_throwsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> Workloads.load("csv:/nonexistent/x.csv", 1));
    }

    @Test
    void load_commonKeys_limitSpeedAndWeights() throws Exception {
        Workload w = Workloads.load("csv:" + Fixtures.path("small.csv") + "?limit=3&speed=2&weights=free:3", 1);
        assertEquals(3, w.size());
        assertEquals(0.25, w.arrival(2));
        assertEquals(3.0, w.weights().get("free"));
    }

    @Test
    void load_unknownKey_rejectedWithKnownKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Workloads.load("csv:" + Fixtures.path("small.csv") + "?tenants=3", 1));
        assertTrue(e.getMessage().contains("unknown key 'tenants'"), e.getMessage());
    }

    @Test
    void load_unknownFormat_listsKnown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("parquet:x", 1));
        assertTrue(e.getMessage().contains("azure"), e.getMessage());
    }

    @Test
    void loadDefault_bundled_fourThousandRequestsFourTenants() throws Exception {
        Workload w = Workloads.load("default", 42);
        assertEquals(4000, w.size());
        assertEquals(4, w.tenants().size());
        assertTrue(w.lastArrival() > 800 && w.lastArrival() < 830, "last arrival " + w.lastArrival());
    }
}

package dev.equinox.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TraceReadersTest {

    @Test
    void azure_smallFile_relativeSecondsAndZeroOutputAsOne() throws Exception {
        Workload w = Workloads.load("azure:" + Fixtures.path("azure-small.csv") + "?tenants=2", 7);
        assertEquals(4, w.size());
        assertEquals(0, w.arrival(0), 1e-9);
        assertEquals(4.314579, w.arrival(1), 1e-6);
        assertEquals(1, w.output(2));
        assertEquals(60.0, w.arrival(3), 1e-6);
        assertEquals(2, w.tenants().size());
    }

    @Test
    void azure_badTimestamp_namesLineAndField() {
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("azure:" + Fixtures.path("azure-bad.csv"), 1));
        assertEquals(4, e.line());
        assertEquals("TIMESTAMP", e.field());
    }

    @Test
    void azure_truncatedGzip_namesFileAndLine() {
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class,
                () -> Workloads.load("azure:" + Fixtures.path("azure-truncated.csv.gz"), 1));
        assertTrue(e.getMessage().contains("azure-truncated.csv.gz:"), e.getMessage());
        assertTrue(e.line() > 1, "line " + e.line());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void azure_sameSeed_sameTenants_otherSeed_differs() throws Exception {
        Path d = Fixtures.sharedData();
        assumeTrue(d != null && Files.exists(d.resolve("azure_llm_inference_2023_conv.csv.gz")), "shared data absent");
        String spec = "azure:" + d.resolve("azure_llm_inference_2023_conv.csv.gz") + "?tenants=8&limit=2000";
        Workload a = Workloads.load(spec, 1);
        Workload b = Workloads.load(spec, 1);
        Workload c = Workloads.load(spec, 2);
        StringBuilder sa = new StringBuilder();
        StringBuilder sb = new StringBuilder();
        StringBuilder sc = new StringBuilder();
        for (int i = 0; i < a.size(); i++) {
            sa.append(a.tenant(i));
            sb.append(b.tenant(i));
            sc.append(c.tenant(i));
        }
        assertEquals(sa.toString(), sb.toString());
        assertNotEquals(sa.toString(), sc.toString());
        // Zipf skew 1: t0 has the largest share (1 / H_8 = 37 %)
        int[] counts = a.countsPerTenant();
        assertTrue(counts[a.tenants().indexOf("t0")] > 600, "t0 count " + counts[a.tenants().indexOf("t0")]);
    }

    @Test
    void azure_fullConvTrace_allRows() throws Exception {
        Path d = Fixtures.sharedData();
        assumeTrue(d != null && Files.exists(d.resolve("azure_llm_inference_2023_conv.csv.gz")), "shared data absent");
        Workload w = Workloads.load("azure:" + d.resolve("azure_llm_inference_2023_conv.csv.gz"), 42);
        assertEquals(19366, w.size());
    }

    @Test
    void mooncake_plainAndGzip_sameRequests() throws Exception {
        Workload a = Workloads.load("mooncake:" + Fixtures.path("mooncake-small.jsonl"), 1);
        Workload b = Workloads.load("mooncake:" + Fixtures.path("mooncake-small.jsonl.gz"), 1);
        assertEquals(3, a.size());
        assertEquals(1.5, a.arrival(1), 1e-9);
        assertEquals(1, a.output(1));
        for (int i = 0; i < 3; i++) {
            assertEquals(a.tenant(i), b.tenant(i));
            assertEquals(a.input(i), b.input(i));
        }
    }

    @Test
    void mooncake_byPrefix_sharedLeadingBlockSameTenant() throws Exception {
        Workload a = Workloads.load("mooncake:" + Fixtures.path("mooncake-small.jsonl") + "?by=prefix&tenants=50", 1);
        assertEquals(a.tenant(0), a.tenant(1));
    }

    @Test
    void mooncake_truncatedJson_namesLine() {
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("mooncake:" + Fixtures.path("mooncake-bad.jsonl"), 1));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("mooncake-bad.jsonl:3"), e.getMessage());
    }

    @Test
    void mooncake_realTrace_allRows() throws Exception {
        Path d = Fixtures.sharedData();
        assumeTrue(d != null && Files.exists(d.resolve("mooncake_fast25_conversation_trace.jsonl.gz")), "shared data absent");
        assertEquals(12031, Workloads.load("mooncake:" + d.resolve("mooncake_fast25_conversation_trace.jsonl.gz"), 42).size());
    }

    @Test
    void servegen_realStats_topClientsDeterministic() throws Exception {
        Path d = Fixtures.sharedData();
        // ServeGenGenerator reads both files of the model: the per-client rates and the per-client lengths
        assumeTrue(d != null && Files.exists(d.resolve("servegen_language_m-mid_client_rates.csv.gz"))
                && Files.exists(d.resolve("servegen_language_m-mid_client_lengths.jsonl.gz")), "shared data absent");
        String spec = "servegen:" + d + "?model=language_m-mid&clients=4&duration=300";
        Workload a = Workloads.load(spec, 3);
        Workload b = Workloads.load(spec, 3);
        assertTrue(a.size() > 0);
        assertEquals(4, a.tenants().size());
        for (String t : a.tenants()) {
            assertTrue(t.matches("c\\d+"), "tenant c<client id>: " + t);
        }
        assertEquals(a.tenants(), b.tenants());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) { // same seed, same requests
            assertEquals(a.tenant(i), b.tenant(i), "request " + i);
            assertEquals(a.arrival(i), b.arrival(i), "request " + i);
            assertEquals(a.input(i), b.input(i), "request " + i);
            assertEquals(a.output(i), b.output(i), "request " + i);
        }
        assertTrue(a.lastArrival() < 300);
    }

    @Test
    void servegen_missingDirectory_throwsIo() {
        assertThrows(java.io.IOException.class, () -> Workloads.load("servegen:/nonexistent?clients=2", 1));
    }
}

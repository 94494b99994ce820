package dev.equinox.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input that used to hang, exhaust memory, pass silently as something else, or be blamed on the wrong line. */
class WorkloadBoundsTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(b)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    /** A ServeGen data directory for model x: one client, one window at noon, with the given distribution. */
    private Path servegen(String dist, String p1, String p2) throws IOException {
        Path d = Files.createDirectories(dir.resolve("sg"));
        Files.write(d.resolve("servegen_x_client_rates.csv.gz"), gzip("client_id,window_start_s,rate_rps,cv,iat_dist,iat_param1,iat_param2\n"
                + "0,43200,1.0,1," + dist + "," + p1 + "," + p2 + "\n"));
        Files.write(d.resolve("servegen_x_client_lengths.jsonl.gz"), gzip("{\"client_id\": 0, \"window_start_s\": 43200, "
                + "\"input_tokens\": {\"values\":[10],\"probs\":[1]}, \"output_tokens\": {\"values\":[10],\"probs\":[1]}}\n"));
        return d;
    }

    @Test
    void servegen_zeroIatParameter_namesFileLineAndFieldInsteadOfHanging() throws Exception {
        Path d = servegen("Gamma", "1.0", "0");
        WorkloadFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(WorkloadFormatException.class, () -> Workloads.load("servegen:" + d + "?model=x", 1)));
        assertEquals(2, e.line());
        assertEquals("iat_param2", e.field());
        assertTrue(e.getMessage().contains("servegen_x_client_rates.csv.gz:2"), e.getMessage());
        Path d1 = servegen("Weibull", "0", "1.0");
        WorkloadFormatException e1 = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(WorkloadFormatException.class, () -> Workloads.load("servegen:" + d1 + "?model=x", 1)));
        assertEquals("iat_param1", e1.field());
    }

    @Test
    void servegen_distributionWithOnlyZeroGaps_endsWithAnErrorNamingTheLine() throws Exception {
        // Gamma with shape 1e-10: every gap underflows to 0, so the clock would never reach the window's end
        Path d = servegen("Gamma", "1e-10", "1.0");
        WorkloadFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(WorkloadFormatException.class, () -> Workloads.load("servegen:" + d + "?model=x", 1)));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("never advance"), e.getMessage());
    }

    @Test
    void servegen_validWindow_stillGeneratesAtItsRate() throws Exception {
        Workload w = Workloads.load("servegen:" + servegen("Gamma", "1.0", "1.0") + "?model=x", 1);
        assertTrue(w.size() > 450 && w.size() < 750, "about 600 requests in 600 s at 1 req/s: " + w.size());
    }

    @Test
    void csv_epochSecondsArrival_refusedNamingLineFieldAndValue() throws Exception {
        Path p = write("epoch.csv", "0,a,0,10,10\n1,b,1700000000,10,10\n");
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("csv:" + p, 1));
        assertEquals(2, e.line());
        assertEquals("arrival_s", e.field());
        assertTrue(e.getMessage().contains("1.7E9") && e.getMessage().contains("seconds from the start of the trace"), e.getMessage());
    }

    @Test
    void builder_arrivalBeyondTenMillionSeconds_refused() {
        Workload.Builder b = Workload.builder("x").add(0, "a", 1e7, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.add(1, "a", 3e9, 1, 1));
        assertTrue(e.getMessage().contains("3.0E9"), e.getMessage());
        // a slow-down (speed < 1) can push arrivals out too: the message says so
        Workload week = Workload.builder("week").add(0, "a", 0, 1, 1).add(1, "a", 604_800, 1, 1).build();
        e = assertThrows(IllegalArgumentException.class, () -> week.transform(0, Double.POSITIVE_INFINITY, 0.05, 0, 0, 0));
        assertTrue(e.getMessage().contains("speed=0.05") && e.getMessage().contains("raise speed"), e.getMessage());
        assertEquals(2, week.transform(0, Double.POSITIVE_INFINITY, 0.1, 0, 0, 0).size(), "6,048,000 s still fits");
    }

    @Test
    void emptyWorkloads_refusedAsNoRequests() throws Exception {
        Path header = write("empty.csv", CsvWorkloadReader.HEADER + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("csv:" + header, 1));
        assertEquals("workload spec 'csv:" + header + "': no requests", e.getMessage());
        Path azure = write("azure.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n");
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("azure:" + azure, 1));
        assertTrue(e.getMessage().endsWith("no requests"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?from=100&to=50", 1));
        assertTrue(e.getMessage().contains("to (50.0) must be greater than from (100.0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?from=1000", 1));
        assertTrue(e.getMessage().endsWith("no requests"), e.getMessage());
    }

    @Test
    void vtc_nonPositiveDuration_refused() {
        for (String d : new String[] {"-10", "0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?duration=" + d, 1));
            assertTrue(e.getMessage().contains("duration must be > 0"), e.getMessage());
        }
    }

    @Test
    void hugeSpecValues_refusedBeforeAllocating() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?duration=1e12", 1));
        assertTrue(e.getMessage().contains("duration"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?duration=5e6", 1)); // 4.5 req/s: 22.5 million
        assertTrue(e.getMessage().contains("more than 10000000 requests"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("overload?rate-scale=1e9", 1));
        assertTrue(e.getMessage().contains("more than 10000000 requests"), e.getMessage());
        for (String bad : new String[] {"overload?rate-scale=Infinity", "overload?speed=Infinity", "overload?to=Infinity", "overload?speed=NaN"}) {
            e = assertThrows(IllegalArgumentException.class, () -> Workloads.load(bad, 1), bad);
            assertTrue(e.getMessage().contains("must be a finite number"), e.getMessage());
        }
        Path azure = write("azure.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n");
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.load("azure:" + azure + "?tenants=2000000000", 1));
        assertTrue(e.getMessage().contains("tenants must be between 1 and 1000000, got 2000000000"), e.getMessage());
    }

    @Test
    void mooncake_fractionalOrOutOfRangeLength_namesLineAndField() throws Exception {
        Path big = write("big.jsonl", "{\"timestamp\":0,\"input_length\":3000000000,\"output_length\":10}\n");
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("mooncake:" + big, 1));
        assertEquals(1, e.line());
        assertEquals("input_length", e.field());
        assertTrue(e.getMessage().contains("3000000000"), e.getMessage());
        Path frac = write("frac.jsonl", "{\"timestamp\":0,\"input_length\":10,\"output_length\":10}\n"
                + "{\"timestamp\":5,\"input_length\":10,\"output_length\":10.9}\n");
        e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("mooncake:" + frac, 1));
        assertEquals(2, e.line());
        assertEquals("output_length", e.field());
        assertTrue(e.getMessage().contains("10.9"), e.getMessage());
        // a whole number written with a fraction is still a whole number
        Path whole = write("whole.jsonl", "{\"timestamp\":0,\"input_length\":10.0,\"output_length\":7}\n");
        assertEquals(10, Workloads.load("mooncake:" + whole, 1).input(0));
    }

    @Test
    void truncatedGzip_smallFile_reportsTheLineWhereTheDataStops() throws Exception {
        StringBuilder sb = new StringBuilder("req_id,tenant,arrival_s,input_tokens,output_tokens\n");
        for (int i = 0; i < 400; i++) {
            sb.append(i).append(",t").append(i % 7).append(',').append(i * 0.37).append(',').append(100 + i * 13 % 997).append(',')
                    .append(1 + i * 31 % 503).append('\n');
        }
        byte[] full = gzip(sb.toString());
        byte[] cut = Arrays.copyOf(full, full.length / 2); // well inside the reader's first read-ahead
        Path p = dir.resolve("cut.csv.gz");
        Files.write(p, cut);
        // the lines a decompressor gets out whole before the data stops
        long whole = 0;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    whole++;
                }
            }
        } catch (EOFException expected) {
            // truncated
        }
        assertTrue(whole > 10 && whole < 400, "whole lines " + whole);
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("csv:" + p, 1));
        assertEquals(whole + 1, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("cut.csv.gz:" + (whole + 1) + ": ") && e.getMessage().contains("truncated"), e.getMessage());
    }
}

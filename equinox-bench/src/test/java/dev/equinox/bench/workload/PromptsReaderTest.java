package dev.equinox.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptsReaderTest {
    private static final String LINES = ""
            + "{\"prompt\":\"the cat sat\",\"output_tokens\":17,\"model_name\":\"m1\"}\n"
            + "{\"instruction\":\"Add\",\"input\":\"the dog\",\"response\":\"the cat sat on the mat\",\"model_name\":\"m2\"}\n"
            + "{\"prompt\":\"no output here\",\"model_name\":\"m1\"}\n"
            + "\n"
            + "{\"prompt\":\"see it\",\"output\":\"the dog ran\",\"model_name\":\"m1\"}\n";

    private static Path file(Path dir, boolean gzip) throws Exception {
        Path f = dir.resolve(gzip ? "p.jsonl.gz" : "p.jsonl");
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(f)) : Files.newOutputStream(f)) {
            o.write(LINES.getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    @Test
    void read_givenAndCountedOutputs_promptTextAndTokenCounts(@TempDir Path dir) throws Exception {
        Workload w = Workloads.load("prompts:" + file(dir, true) + "?by=model_name&arrival=uniform&rate=2", 1);
        assertEquals(3, w.size()); // the line without output is skipped
        assertTrue(w.hasPromptText());
        assertEquals("the cat sat", w.promptText(0));
        assertEquals(3, w.input(0)); // MiniLM WordPiece: one token per word here
        assertEquals(17, w.output(0));
        assertEquals("Add\nthe dog", w.promptText(1));
        assertEquals(3, w.input(1));
        assertEquals(6, w.output(1));
        assertEquals(3, w.output(2));
        assertEquals(0.0, w.arrival(0), 1e-12);
        assertEquals(0.5, w.arrival(1), 1e-12);
        assertEquals(1.0, w.arrival(2), 1e-12);
        assertEquals("m1", w.tenant(0));
        assertEquals("m2", w.tenant(1));
    }

    @Test
    void read_poissonSameSeed_sameArrivalsOtherSeedDiffers(@TempDir Path dir) throws Exception {
        String spec = "prompts:" + file(dir, false) + "?rate=10&tenants=2";
        Workload a = Workloads.load(spec, 3);
        Workload b = Workloads.load(spec, 3);
        Workload c = Workloads.load(spec, 4);
        assertEquals(a.arrival(2), b.arrival(2), 0);
        assertFalse(a.arrival(2) == c.arrival(2));
        assertEquals(2, a.tenants().size());
    }

    @Test
    void read_transformKeepsText_limitAndMaxInput(@TempDir Path dir) throws Exception {
        Workload w = Workloads.load("prompts:" + file(dir, false) + "?arrival=uniform&limit=2&max-input=2", 1);
        assertEquals(2, w.size());
        assertEquals("Add\nthe dog", w.promptText(1));
        assertEquals(2, w.input(1));
    }

    @Test
    void read_sample_keepsFileOrderAndSize(@TempDir Path dir) throws Exception {
        Workload w = Workloads.load("prompts:" + file(dir, false) + "?sample=2&arrival=uniform", 9);
        assertTrue(w.size() <= 2 && w.size() >= 1, "size " + w.size()); // a sampled line may lack an output
        for (int i = 1; i < w.size(); i++) {
            assertTrue(w.id(i) > w.id(i - 1));
        }
    }

    @Test
    void read_unknownKeyOrBadRate_throwsIllegalArgument(@TempDir Path dir) throws Exception {
        Path f = file(dir, false);
        assertThrows(IllegalArgumentException.class, () -> Workloads.load("prompts:" + f + "?speeed=2", 1));
        assertThrows(IllegalArgumentException.class, () -> Workloads.load("prompts:" + f + "?rate=0", 1));
        assertThrows(IllegalArgumentException.class, () -> Workloads.load("prompts:" + f + "?arrival=bursty", 1));
    }

    @Test
    void read_badJsonOrMissingTenantField_namesLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\":\"a\",\"output_tokens\":3}\n{oops\n");
        WorkloadFormatException e = assertThrows(WorkloadFormatException.class, () -> Workloads.load("prompts:" + bad, 1));
        assertEquals(2, e.line());
        WorkloadFormatException f = assertThrows(WorkloadFormatException.class,
                () -> Workloads.load("prompts:" + file(dir, false) + "?by=subset", 1));
        assertEquals("subset", f.field());
    }

    @Test
    void otherFormats_noPromptText() throws Exception {
        Workload w = Workloads.load("default?limit=5", 1);
        assertFalse(w.hasPromptText());
        assertNull(w.promptText(0));
    }

    @Test
    void read_sharedGpteacher_subsetTenants() throws Exception {
        Path d = Fixtures.sharedData();
        assumeTrue(d != null && Files.exists(d.resolve("gpteacher_instruct_response.jsonl.gz")), "shared data absent");
        Workload w = Workloads.load("prompts:" + d.resolve("gpteacher_instruct_response.jsonl.gz") + "?sample=200&by=subset", 1);
        assertEquals(200, w.size());
        assertTrue(w.tenants().contains("toolformer"), w.tenants().toString());
        for (int i = 0; i < w.size(); i++) {
            assertTrue(w.promptText(i) != null && !w.promptText(i).isEmpty());
        }
    }
}

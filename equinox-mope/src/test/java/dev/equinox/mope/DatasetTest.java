package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {

    @Test
    void read_gzipWithResponseAndOutputTokens_countsAndFields(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f))) {
            o.write(("{\"prompt\":\"hi\",\"output_tokens\":17,\"tenant\":\"a\",\"max_tokens\":100}\n"
                    + "{\"instruction\":\"Add\",\"input\":\"1 and 2\",\"response\":\"three\",\"subset\":\"math\"}\n"
                    + "{\"prompt\":\"q\",\"output\":\"hello world\",\"model_name\":\"m\",\"sampling_params\":{\"max_new_tokens\":400}}\n"
                    + "{\"prompt\":\"no output\"}\n").getBytes(StandardCharsets.UTF_8));
        }
        List<Dataset.Example> d = Dataset.read(f, 0, 1, SharedModels.tokenizer());
        assertEquals(3, d.size());
        assertEquals(new Dataset.Example("hi", "a", 17, 100), d.get(0));
        assertEquals(new Dataset.Example("Add\n1 and 2", "math", 1, 0), d.get(1));
        assertEquals(new Dataset.Example("q", "m", 2, 400), d.get(2));
    }

    @Test
    void read_limit_sampleKeepsFileOrder(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            sb.append("{\"prompt\":\"p").append(i).append("\",\"output_tokens\":").append(i).append("}\n");
        }
        Files.writeString(f, sb);
        List<Dataset.Example> d = Dataset.read(f, 10, 3, SharedModels.tokenizer());
        assertEquals(10, d.size());
        for (int i = 1; i < d.size(); i++) {
            assertTrue(d.get(i).outputTokens() > d.get(i - 1).outputTokens());
        }
        assertEquals(d, Dataset.read(f, 10, 3, SharedModels.tokenizer()));
    }

    @Test
    void read_badJsonLine_messageNamesItsLine(@TempDir Path dir) throws Exception {
        // was the number of lines read so far (10 for the third of ten), and blank lines were not counted
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append(i == 2 ? "{\"prompt\": \"broken" : "{\"prompt\":\"p" + i + "\",\"output_tokens\":" + (50 + i) + "}").append('\n');
        }
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, sb);
        MopeException e = assertThrows(MopeException.class, () -> Dataset.read(f, 0, 1, SharedModels.tokenizer()));
        assertTrue(e.getMessage().contains("(line 3)") && e.getMessage().contains("bad.jsonl"), e.getMessage());
        Files.writeString(f, "\n" + sb); // a blank first line: the broken one is line 4 of the file
        e = assertThrows(MopeException.class, () -> Dataset.read(f, 0, 1, SharedModels.tokenizer()));
        assertTrue(e.getMessage().contains("(line 4)"), e.getMessage());
    }

    @Test
    void read_missingFile_throwsMopeException(@TempDir Path dir) {
        assertThrows(MopeException.class, () -> Dataset.read(dir.resolve("none.jsonl"), 0, 1, SharedModels.tokenizer()));
    }

    @Test
    void read_sharedGpteacherAndOasst_parsesRealRows() {
        Path data = SharedModels.sharedData();
        assumeTrue(data != null && Files.exists(data.resolve("gpteacher_instruct_response.jsonl.gz")), "shared data absent");
        List<Dataset.Example> g = Dataset.read(data.resolve("gpteacher_instruct_response.jsonl.gz"), 50, 1, SharedModels.tokenizer());
        assertEquals(50, g.size());
        assertTrue(g.stream().allMatch(e -> e.outputTokens() > 0 && !e.prompt().isEmpty()));
        assumeTrue(Files.exists(data.resolve("oasst_model_eval_samples.jsonl.gz")), "oasst absent");
        List<Dataset.Example> o = Dataset.read(data.resolve("oasst_model_eval_samples.jsonl.gz"), 50, 1, SharedModels.tokenizer());
        assertEquals(50, o.size());
        assertTrue(o.stream().anyMatch(e -> e.cap() > 0));
    }
}

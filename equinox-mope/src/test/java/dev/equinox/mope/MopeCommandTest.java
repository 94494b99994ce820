package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MopeCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new MopeCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {Integer.toString(rc), out.toString(), err.toString()};
    }

    @Test
    void predict_bundledModel_printsTokensAndCosts() {
        String[] r = run("predict", "--prompt", "Write a haiku about autumn.");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("output tokens"), r[1]);
        assertTrue(r[1].contains("GPU utilization"), r[1]);
    }

    @Test
    void trainThenEval_userSuppliedEncoder_modelRecordsItAndEvalReportsBaselines(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("tiny-bert.onnx");
        Files.write(onnx, new TinyBert(30522, 24, 12, 2, 512, 5).onnx()); // a BERT with MiniLM's vocabulary
        StringBuilder sb = new StringBuilder();
        String[] topics = {"the sea", "a cat", "rust", "jazz", "tea", "Rome"};
        for (int i = 0; i < 60; i++) {
            boolean longOne = i % 2 == 0;
            String prompt = (longOne ? "Write a detailed essay about " : "Name one word for ") + topics[i % topics.length] + " #" + i;
            sb.append("{\"prompt\":\"").append(prompt).append("\",\"output_tokens\":").append(longOne ? 300 + i : 2 + i % 3)
                    .append(",\"tenant\":\"t").append(i % 3).append("\"}\n");
        }
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, sb);
        Path model = dir.resolve("model");
        String[] t = run("train", "--data", data.toString(), "--out", model.toString(), "--limit", "0", "--encoder",
                onnx.toString(), "--cache", dir.resolve("c.emb").toString(), "--seed", "1");
        assertEquals("0", t[0], t[2]);
        assertTrue(t[1].contains("router"), t[1]);
        assertTrue(Files.exists(model.resolve("expert-2.bin")));
        assertTrue(Files.readString(model.resolve("mope.json")).contains("tiny-bert.onnx"));
        String[] e = run("eval", "--model", model.toString(), "--data", data.toString(), "--limit", "0",
                "--cache", dir.resolve("c.emb").toString());
        assertEquals("0", e[0], e[2]);
        for (String method : new String[] {"mope", "single-proxy", "moving-average", "train-median", "router accuracy"}) {
            assertTrue(e[1].contains(method), e[1]);
        }
        assertTrue(e[1].contains("0 prompts embedded now"), "second pass must hit the embedding cache: " + e[1]);
        try (Mope m = Mope.load(model)) {
            assertEquals(24, m.encoder().hidden());
            assertTrue(m.predict(dev.equinox.RequestSpec.of("t", 5, 4096).withPromptText("Write a detailed essay about tea"))
                    .outputTokens() >= 1);
        }
    }

    @Test
    void study_tinyEncoder_tableRowPerDepthAndFineTuning(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("tiny.onnx");
        Files.write(onnx, new TinyBert(30522, 24, 12, 2, 512, 9).onnx());
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            String p = (i % 2 == 0 ? "Write a long essay about topic " : "Give one word for thing ") + i;
            a.append("{\"prompt\":\"").append(p).append("\",\"output_tokens\":").append(i % 2 == 0 ? 200 + i : 1 + i % 4).append("}\n");
            b.append("{\"prompt\":\"").append(p).append("\",\"output_tokens\":").append(i % 2 == 0 ? 400 + i : 3 + i % 4).append("}\n");
        }
        Files.writeString(dir.resolve("a.jsonl"), a);
        Files.writeString(dir.resolve("b.jsonl"), b);
        String[] r = run("study", "--train", dir.resolve("a.jsonl").toString(), "--test", dir.resolve("b.jsonl").toString(),
                "--limit", "0", "--test-limit", "0", "--encoder", onnx.toString(), "--depths", "0,2", "--finetune", "1",
                "--finetune-epochs", "1", "--timing-runs", "2", "--cache", dir.resolve("c.emb").toString());
        assertEquals("0", r[0], r[2]);
        String table = r[1].substring(r[1].lastIndexOf("| encoder"));
        for (String row : new String[] {"| depth 0 (embeddings)", "| depth 2 (full)", "| depth 2 frozen", "| top 1 tuned"}) {
            assertTrue(table.contains(row), row + " missing from\n" + table);
        }
        assertEquals(1 + 4 * 2, table.lines().filter(l -> l.startsWith("|")).count(), table); // header + 4 settings x 2 sets
        assertEquals("1", run("study", "--train", "x", "--test", "y", "--encoder", onnx.toString(), "--depths", "5")[0]);
    }

    @Test
    void train_tooFewBuckets_exitOneWithMessage(@TempDir Path dir) {
        String[] r = run("train", "--data", dir.resolve("d.jsonl").toString(), "--out", dir.toString(), "--buckets", "1");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("--buckets"), r[2]);
    }

    @Test
    void eval_missingModel_exitOneWithMessage(@TempDir Path dir) {
        String[] r = run("eval", "--model", dir.resolve("none").toString(), "--data", dir.resolve("d.jsonl").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("mope.json"), r[2]);
    }

    @Test
    void promptOfTokens_benchPrompt_exactEncoderLength() {
        for (int n : new int[] {32, 128, 512}) {
            assertEquals(n, SharedModels.tokenizer().encode(MopeCommand.promptOfTokens(n)).length);
        }
    }
}

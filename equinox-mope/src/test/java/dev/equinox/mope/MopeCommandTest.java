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
    void trainThenEval_smallSyntheticSet_writesModelAndReportsBaselines(@TempDir Path dir) throws Exception {
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
        String[] t = run("train", "--data", data.toString(), "--out", model.toString(), "--limit", "0",
                "--cache", dir.resolve("c.emb").toString(), "--seed", "1");
        assertEquals("0", t[0], t[2]);
        assertTrue(Files.exists(model.resolve("mope.json")));
        assertTrue(Files.exists(model.resolve("expert-2.bin")));
        String[] e = run("eval", "--model", model.toString(), "--data", data.toString(), "--limit", "0",
                "--cache", dir.resolve("c.emb").toString());
        assertEquals("0", e[0], e[2]);
        for (String method : new String[] {"mope", "single-proxy", "moving-average", "train-median", "router accuracy"}) {
            assertTrue(e[1].contains(method), e[1]);
        }
        assertTrue(e[1].contains("0 prompts embedded now"), "second pass must hit the embedding cache: " + e[1]);
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

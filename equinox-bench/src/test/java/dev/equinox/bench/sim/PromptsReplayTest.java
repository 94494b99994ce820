package dev.equinox.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.equinox.bench.workload.Workload;
import dev.equinox.bench.workload.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --predictor mope} on a workload with prompt text: MoPE's predictions drive the scheduler. */
class PromptsReplayTest {

    @Test
    void run_mopeOnPromptWorkload_everyRequestFinishesAndPredictionsDifferFromFallback(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        String[] prompts = {"Write a 500-word essay about the sea.", "In one word, what colour is grass?",
            "Explain how a refrigerator works.", "Say yes or no: is water wet?"};
        for (int i = 0; i < 120; i++) {
            sb.append("{\"prompt\":\"").append(prompts[i % 4]).append("\",\"output_tokens\":").append(i % 2 == 0 ? 300 : 3).append("}\n");
        }
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, sb);
        Workload w = Workloads.load("prompts:" + f + "?rate=1000&tenants=2", 1);
        SimResult mope = Simulator.run(w, SimConfig.defaults().withKv(512, 16).withPolicy("vtc-predict").withPredictor("mope"));
        SimResult fallback = Simulator.run(w, SimConfig.defaults().withKv(512, 16).withPolicy("vtc-predict").withPredictor("max-tokens"));
        for (int i = 0; i < w.size(); i++) {
            assertFalse(Double.isNaN(mope.finishedAt()[i]), "request " + i);
            assertEquals(w.output(i), mope.generated()[i]);
        }
        assertEquals(w.size(), mope.stats().finished());
        // 60 requests of 300 tokens overfill an 8,192-token KV cache, so admission follows the predicted lengths
        // (reservations): MoPE's shorter guesses for "Explain how a refrigerator works" change the timeline
        assertNotEquals(java.util.Arrays.toString(fallback.finishedAt()), java.util.Arrays.toString(mope.finishedAt()));
    }

    @Test
    void run_mopeWithAndWithoutPromptText_textReachesThePredictor(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        String[] prompts = {"Write a 500-word essay about the sea.", "In one word, what colour is grass?"};
        for (int i = 0; i < 120; i++) {
            sb.append("{\"prompt\":\"").append(prompts[i % 2]).append("\",\"output_tokens\":").append(i % 2 == 0 ? 300 : 3).append("}\n");
        }
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, sb);
        Workload withText = Workloads.load("prompts:" + f + "?rate=1000&tenants=2", 1);
        // the same requests (ids, tenants, arrivals, lengths) without their text: MoPE can only use the length
        Workload.Builder b = Workload.builder("no text");
        for (int i = 0; i < withText.size(); i++) {
            b.add(withText.id(i), withText.tenant(i), withText.arrival(i), withText.input(i), withText.output(i));
        }
        Workload lengthsOnly = b.build();
        SimConfig c = SimConfig.defaults().withKv(512, 16).withPolicy("vtc-predict").withPredictor("mope");
        SimResult a = Simulator.run(withText, c);
        SimResult z = Simulator.run(lengthsOnly, c);
        assertNotEquals(java.util.Arrays.toString(z.finishedAt()), java.util.Arrays.toString(a.finishedAt()),
                "the prompt text must reach the predictor: with it, MoPE tells the essay from the one-word answer");
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.equinox.RequestSpec;
import dev.equinox.spi.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MopeTest {
    private static final Mope MOPE = SharedModels.defaultModel();

    private static RequestSpec spec(String text, int promptTokens, int max) {
        RequestSpec s = RequestSpec.of("t", promptTokens, max);
        return text == null ? s : s.withPromptText(text);
    }

    @Test
    void predict_defaultModel_allFourNumbersFinite() {
        Prediction p = MOPE.predict(spec("Explain how photosynthesis works.", 8, 2048));
        assertTrue(p.outputTokens() >= 1 && p.outputTokens() <= 2048);
        assertTrue(p.latencySeconds() > 0, "latency " + p.latencySeconds());
        assertTrue(p.throughputTokensPerSecond() > 0, "throughput " + p.throughputTokensPerSecond());
        assertTrue(p.gpuUtilization() > 0 && p.gpuUtilization() <= 1, "util " + p.gpuUtilization());
        assertEquals("mope", MOPE.name());
        assertTrue(MOPE.isBlocking());
        assertEquals(3, MOPE.buckets());
    }

    @Test
    void predict_samePromptTwice_samePrediction() {
        RequestSpec s = spec("Write a short story about a lighthouse keeper.", 10, 4096);
        assertEquals(MOPE.predict(s), MOPE.predict(s));
    }

    @Test
    void predict_explicitLongEssay_longerThanOneWordAnswer() {
        int essay = MOPE.predict(spec("Write a 1000-word essay on the causes of the First World War.", 16, 4096)).outputTokens();
        int word = MOPE.predict(spec("In one word, what is the capital of France?", 12, 4096)).outputTokens();
        assertTrue(essay > 1000, "essay " + essay);
        assertTrue(word <= MOPE.model().boundaries[0], "one word " + word);
    }

    @Test
    void predict_maxTokensCap_clamped() {
        Prediction p = MOPE.predict(spec("Write a 1000-word essay on tides.", 9, 50));
        assertTrue(p.outputTokens() <= 50, "got " + p.outputTokens());
    }

    @Test
    void predict_emptyPrompt_positiveTokens() {
        assertTrue(MOPE.predict(spec("", 1, 512)).outputTokens() >= 1);
    }

    @Test
    void predict_nullText_usesLengthOnlyAndIsDeterministic() {
        Prediction a = MOPE.predict(spec(null, 300, 1024));
        assertTrue(a.outputTokens() >= 1);
        assertEquals(a, MOPE.predict(spec(null, 300, 1024)));
    }

    @Test
    void predict_hundredThousandTokenPrompt_truncatedQuickly() {
        String huge = "word ".repeat(100_000);
        assertEquals(512, MOPE.tokenizer().encode(huge).length);
        long t = System.nanoTime();
        Prediction p = MOPE.predict(spec(huge, 100_000, 4096));
        double s = (System.nanoTime() - t) / 1e9;
        assertTrue(p.outputTokens() >= 1);
        assertTrue(s < 10, "took " + s + " s");
    }

    @Test
    void load_missingDirectory_throwsMopeException(@TempDir Path dir) {
        MopeException e = assertThrows(MopeException.class, () -> Mope.load(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("mope.json"), e.getMessage());
    }

    @Test
    void load_corruptExpertFile_throwsMopeException(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        byte[] b = Files.readAllBytes(dir.resolve("expert-1.bin"));
        Files.write(dir.resolve("expert-1.bin"), java.util.Arrays.copyOf(b, b.length / 2));
        MopeException e = assertThrows(MopeException.class, () -> Mope.load(dir));
        assertTrue(e.getMessage().contains("expert-1.bin"), e.getMessage());
    }

    @Test
    void load_corruptJson_throwsMopeException(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        Files.writeString(dir.resolve("mope.json"), "{ not json");
        assertThrows(MopeException.class, () -> Mope.load(dir));
    }

    @Test
    void saveLoad_roundTrip_samePrediction(@TempDir Path dir) {
        MOPE.model().save(dir);
        MopeModel m = MopeModel.load(MopeModel.Source.directory(dir));
        float[] f = MOPE.model().standardise(MopeModel.rawFeatures(MOPE.embed("hello there"), 3, LengthRules.Cue.NONE));
        assertEquals(MOPE.model().predict(f, LengthRules.Cue.NONE, 0), m.predict(f, LengthRules.Cue.NONE, 0));
    }

    @Test
    void predict_afterClose_throwsMopeException() {
        Mope m = Mope.load(null);
        m.close();
        assertThrows(MopeException.class, () -> m.predict(spec("hi", 1, 10)));
        assertFalse(m == MOPE);
    }
}

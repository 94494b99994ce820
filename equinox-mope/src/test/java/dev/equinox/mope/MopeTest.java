package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.equinox.RequestSpec;
import dev.equinox.spi.EngineCostModel;
import dev.equinox.spi.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
    void predict_costs_followCostModelForPredictedTokens() {
        RequestSpec s = spec("Describe the water cycle.", 40, 4096);
        Prediction p = MOPE.predict(s);
        double expected = dev.equinox.cost.CostModels.vtcA10g().idleLatencySeconds(40, p.outputTokens());
        assertEquals(expected, p.latencySeconds(), 1e-12);
        assertEquals(expected, p.latencySeconds(), 0.0, "the cost model's own idle latency, to the bit");
        assertEquals(p.outputTokens() / expected, p.throughputTokensPerSecond(), 1e-9);
    }

    @Test
    void predict_samePromptTwice_samePrediction() {
        RequestSpec s = spec("Write a short story about a lighthouse keeper.", 10, 4096);
        assertEquals(MOPE.predict(s), MOPE.predict(s));
    }

    @Test
    void predict_samePromptInFreshInstance_samePrediction() {
        RequestSpec s = spec("List three uses of copper.", 6, 4096);
        try (Mope other = Mope.loadDefault()) {
            assertEquals(MOPE.predict(s), other.predict(s));
        }
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
    void predict_nonTextPrompt_positiveTokensNoError() {
        char[] junk = new char[3000];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (char) ((i * 7919) % 0xFFFF); // control characters, lone surrogates, private use...
        }
        assertTrue(MOPE.predict(spec(new String(junk), 100, 4096)).outputTokens() >= 1);
        assertTrue(MOPE.predict(spec("\u0000\u0001\u0002", 1, 4096)).outputTokens() >= 1);
    }

    @Test
    void predict_nullText_usesLengthOnlyAndIsDeterministic() {
        Prediction a = MOPE.predict(spec(null, 300, 1024));
        assertTrue(a.outputTokens() >= 1);
        assertEquals(a, MOPE.predict(spec(null, 300, 1024)));
        // the request's prompt length is the length feature (not only the cost model's input)
        assertNotEquals(MOPE.predict(spec(null, 3, 1024)).outputTokens(), MOPE.predict(spec(null, 3000, 1024)).outputTokens());
    }

    @Test
    void explainText_oneTokenization_sameRouteAndCostsAsPredict() {
        String prompt = "Write a 500-word essay on tides";
        Mope.Explanation x = MOPE.explainText(prompt, 100);
        int counted = MOPE.tokenizer().tokenize(prompt).count();
        assertEquals(MOPE.explain(prompt, counted, 100), x.result());
        assertEquals(MOPE.predict(spec(prompt, counted, 100)), x.prediction());
        assertEquals(100, x.result().tokens());
        assertTrue(x.proxyTokens() >= 1 && x.proxyTokens() <= 100, "proxy " + x.proxyTokens());
    }

    @Test
    void predict_hundredThousandTokenPrompt_truncatedAndAnswered() {
        String huge = "word ".repeat(100_000);
        assertEquals(MOPE.tokenizer().maxTokens(), MOPE.tokenizer().encode(huge).length);
        Prediction p = MOPE.predict(spec(huge, 100_000, 4096));
        assertTrue(p.outputTokens() >= 1);
        // the length feature uses the counted prefix, not the 24x longer request length: same as a 4096+ prompt
        assertEquals(MOPE.explain(huge, -1, 0), MOPE.explain("word ".repeat(20_000), -1, 0));
    }

    @Test
    void predict_brokenEngine_throwsMopeException() {
        Mope m = Mope.loadDefault();
        m.encoder().close(); // the native engine's memory is gone, as after a crash of the engine
        try {
            assertThrows(MopeException.class, () -> m.predict(spec("hi", 1, 10)));
        } finally {
            m.close();
        }
    }

    /** A cost model whose step time throws {@code failure} (a RuntimeException or an Error). */
    static EngineCostModel failingCostModel(Throwable failure) {
        return new EngineCostModel() {
            @Override
            public double stepSeconds(int prefillTokens, long pairs, int decodeSequences, long decodeContextTokens) {
                if (failure instanceof RuntimeException r) {
                    throw r;
                }
                throw (Error) failure;
            }

            @Override
            public double prefillCost(int chunkTokens, int contextAfter) {
                return stepSeconds(chunkTokens, 0, 0, 0);
            }

            @Override
            public double decodeCost(int contextTokens) {
                return stepSeconds(0, 0, 1, contextTokens);
            }
        };
    }

    @Test
    void predict_componentThrowsUntypedError_wrappedInMopeException() {
        // not the closed-encoder check (already a MopeException): an untyped failure inside predict, as a user's
        // cost model or DJL's native engine (UnsatisfiedLinkError) could throw
        for (Throwable failure : new Throwable[] {new IllegalStateException("boom"), new UnsatisfiedLinkError("no libtorch")}) {
            // shares the default model's tokenizer and encoder, so it is not closed
            Mope m = new Mope(MOPE.tokenizer(), MOPE.encoder(), MOPE.model(), failingCostModel(failure), "test");
            MopeException e = assertThrows(MopeException.class, () -> m.predict(spec("hi", 1, 10)));
            assertSame(failure, e.getCause());
        }
    }

    @Test
    void load_missingDirectory_throwsMopeException(@TempDir Path dir) {
        MopeException e = assertThrows(MopeException.class, () -> Mope.load(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("mope.json"), e.getMessage());
    }

    @Test
    void load_missingExpertFile_throwsMopeExceptionNamingIt(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        Files.delete(dir.resolve("expert-2.bin"));
        MopeException e = assertThrows(MopeException.class, () -> Mope.load(dir));
        assertTrue(e.getMessage().contains("expert-2.bin"), e.getMessage());
    }

    @Test
    void load_corruptExpertFile_throwsMopeException(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        byte[] b = Files.readAllBytes(dir.resolve("expert-1.bin"));
        Files.write(dir.resolve("expert-1.bin"), Arrays.copyOf(b, b.length / 2));
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
    void load_encoderOfAnotherShape_throwsMopeException(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        Path tiny = dir.resolve("tiny.onnx");
        Files.write(tiny, new TinyBert(30522, 24, 12, 2, 16, 3).onnx());
        MopeException e = assertThrows(MopeException.class, () -> Mope.load(dir, tiny.toString(), null, null));
        assertTrue(e.getMessage().contains("layers"), e.getMessage());
    }

    @Test
    void load_jsonWithBadDepth_throwsMopeException(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        ObjectMapper om = new ObjectMapper();
        ObjectNode meta = (ObjectNode) om.readTree(dir.resolve("mope.json").toFile());
        ((ObjectNode) meta.get("encoder")).put("depth", 99);
        om.writeValue(dir.resolve("mope.json").toFile(), meta);
        assertThrows(MopeException.class, () -> Mope.load(dir));
    }

    /** Saves the bundled model to {@code dir}, edits its mope.json and returns the load failure's message. */
    private static String loadFailure(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        MOPE.model().save(dir);
        ObjectMapper om = new ObjectMapper();
        ObjectNode meta = (ObjectNode) om.readTree(dir.resolve("mope.json").toFile());
        edit.accept(meta);
        om.writeValue(dir.resolve("mope.json").toFile(), meta);
        return assertThrows(MopeException.class, () -> MopeModel.load(MopeModel.Source.directory(dir))).getMessage();
    }

    @Test
    void load_invalidJsonValues_throwsMopeExceptionNamingFileAndField(@TempDir Path dir) throws Exception {
        // each was accepted: "x" read as 0, a zero std made every prediction 1 token, boundaries in any order
        String m = loadFailure(dir, j -> ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("featureMean")).set(5, "x"));
        assertTrue(m.contains("mope.json") && m.contains("featureMean[5]"), m);
        m = loadFailure(dir, j -> ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("featureStd")).set(0, 0.0));
        assertTrue(m.contains("featureStd[0]"), m);
        m = loadFailure(dir, j -> ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("featureStd")).set(1, -1.0));
        assertTrue(m.contains("featureStd[1]"), m);
        m = loadFailure(dir, j -> j.putArray("boundaries").add(166).add(53));
        assertTrue(m.contains("boundaries"), m);
        m = loadFailure(dir, j -> j.putArray("boundaries").add(53).add(53));
        assertTrue(m.contains("boundaries"), m);
        m = loadFailure(dir, j -> j.putArray("boundaries").add(-5).add(53));
        assertTrue(m.contains("boundaries[0]"), m);
        m = loadFailure(dir, j -> j.putArray("boundaries").add("a").add("b"));
        assertTrue(m.contains("boundaries[0]"), m);
        m = loadFailure(dir, j -> ((ObjectNode) j.get("encoder")).put("hidden", "384"));
        assertTrue(m.contains("encoder.hidden"), m);
        m = loadFailure(dir, j -> j.put("trainMedian", "x"));
        assertTrue(m.contains("trainMedian"), m);
    }

    @Test
    void load_binFileOfWrongRole_throwsMopeExceptionNamingIt(@TempDir Path dir) throws Exception {
        // router.bin copied over expert-2.bin: 387 inputs like the expert, but 3 outputs and cross-entropy
        MOPE.model().save(dir);
        Files.copy(dir.resolve("router.bin"), dir.resolve("expert-2.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String m = assertThrows(MopeException.class, () -> Mope.load(dir)).getMessage();
        assertTrue(m.contains("expert-2.bin"), m);
        // an expert over the router: 1 output where 3 are expected
        MOPE.model().save(dir);
        Files.copy(dir.resolve("expert-0.bin"), dir.resolve("router.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        m = assertThrows(MopeException.class, () -> Mope.load(dir)).getMessage();
        assertTrue(m.contains("router.bin") && m.contains("expected 3"), m);
    }

    @Test
    void load_trailingBytesOrHugeHeader_throwsMopeExceptionNamingFile(@TempDir Path dir) throws Exception {
        MOPE.model().save(dir);
        Files.write(dir.resolve("proxy.bin"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        String m = assertThrows(MopeException.class, () -> Mope.load(dir)).getMessage();
        assertTrue(m.contains("proxy.bin") && m.contains("trailing"), m);
        // a 24-byte router.bin claiming 100000 x 20000: was an OutOfMemoryError
        MOPE.model().save(dir);
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(24).putInt(0x4D4F5045).putInt(1).putInt(100_000).putInt(20_000)
                .putInt(3).putInt(0);
        Files.write(dir.resolve("router.bin"), h.array());
        m = assertThrows(MopeException.class, () -> Mope.load(dir)).getMessage();
        assertTrue(m.contains("router.bin"), m);
    }

    @Test
    void close_duringPrediction_waitsForItThenRejects() throws Exception {
        Mope base = Mope.loadDefault(); // its own natives: the Mope below frees them
        java.util.concurrent.CountDownLatch inFlight = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        EngineCostModel real = dev.equinox.cost.CostModels.vtcA10g();
        EngineCostModel blocking = new EngineCostModel() { // holds the prediction inside predict until released
            @Override
            public double stepSeconds(int prefillTokens, long pairs, int decodeSequences, long decodeContextTokens) {
                inFlight.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return real.stepSeconds(prefillTokens, pairs, decodeSequences, decodeContextTokens);
            }

            @Override
            public double prefillCost(int chunkTokens, int contextAfter) {
                return real.prefillCost(chunkTokens, contextAfter);
            }

            @Override
            public double decodeCost(int contextTokens) {
                return real.decodeCost(contextTokens);
            }
        };
        Mope m = new Mope(base.tokenizer(), base.encoder(), base.model(), blocking, "test");
        java.util.concurrent.atomic.AtomicReference<Object> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread predictor = new Thread(() -> {
            try {
                result.set(m.predict(spec("Describe the water cycle.", 5, 100)));
            } catch (RuntimeException e) {
                result.set(e);
            }
        });
        predictor.start();
        assertTrue(inFlight.await(60, java.util.concurrent.TimeUnit.SECONDS));
        Thread closer = new Thread(m::close);
        closer.start();
        closer.join(300);
        boolean waited = closer.isAlive();
        release.countDown();
        predictor.join(60_000);
        closer.join(60_000);
        assertTrue(waited, "close returned while a prediction was in flight (natives freed under it)");
        assertTrue(result.get() instanceof Prediction, "prediction in flight: " + result.get());
        assertThrows(MopeException.class, () -> m.predict(spec("hi", 1, 10)));
        m.close(); // idempotent
    }

    @Test
    void saveLoad_roundTrip_samePrediction(@TempDir Path dir) {
        MOPE.model().save(dir);
        MopeModel m = MopeModel.load(MopeModel.Source.directory(dir));
        float[] emb = MopeModel.normalise(MOPE.encoder().embed(MOPE.tokenizer().encode("hello there"), MOPE.model().encoder.depth()));
        float[] f = MOPE.model().standardise(MopeModel.rawFeatures(emb, 3, LengthRules.Cue.NONE));
        assertEquals(MOPE.model().predict(f, LengthRules.Cue.NONE, 0), m.predict(f, LengthRules.Cue.NONE, 0));
        assertEquals(MOPE.model().proxyTokens(f, 0), m.proxyTokens(f, 0));
        assertEquals(MOPE.model().encoder, m.encoder);
    }

    @Test
    void predict_afterClose_throwsMopeException() {
        Mope m = Mope.loadDefault();
        m.close();
        assertThrows(MopeException.class, () -> m.predict(spec("hi", 1, 10)));
    }
}

package dev.equinox.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileCostModelTest {
    private static final String HEADER = "prefill_tokens,decode_seqs,decode_context_tokens,step_ms\n";

    /** The synthetic sample profile in the test resources (generated from the calibrated model). */
    static ProfileCostModel sampleProfile() {
        try (Reader r = new InputStreamReader(ProfileCostModelTest.class.getResourceAsStream("step_profile_sample.csv"),
                StandardCharsets.UTF_8)) {
            return ProfileCostModel.load("step_profile_sample.csv", r, 0.001);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ProfileCostModel load(String text) {
        return ProfileCostModel.load("p.csv", new StringReader(text), 0);
    }

    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> load(text)).getMessage();
    }

    @Test
    void load_profileOfDocumentedForm_recoversCoefficients() {
        // step_ms = 5 + 0.02 P + 1e-6 P^2 + 0.05 D + 0.0002 K
        StringBuilder b = new StringBuilder("# generated\n").append(HEADER);
        for (int p : new int[] {0, 128, 1024, 4096}) {
            for (int d : new int[] {0, 1, 32, 128}) {
                if (p == 0 && d == 0) {
                    continue;
                }
                long k = d * (p % 2048 == 0 ? 1000L : 3000L);
                double ms = 5 + 0.02 * p + 1e-6 * p * p + 0.05 * d + 0.0002 * k;
                b.append(p).append(',').append(d).append(',').append(k).append(',').append(ms).append('\n');
            }
        }
        ProfileCostModel m = load(b.toString());
        double[] c = m.coefficientsMs();
        double[] expected = {5, 0.02, 1e-6, 0.05, 0.0002};
        for (int i = 0; i < c.length; i++) {
            assertEquals(expected[i], c[i], 1e-6 * expected[i] + 1e-12, "coefficient " + i);
        }
        assertTrue(m.maxRelativeError() < 1e-9);
        assertEquals((5 + 0.02 * 300 + 1e-6 * 300 * 300 + 0.05 * 7 + 0.0002 * 7000) * 1e-3,
                m.stepSeconds(300, 300L * 300, 7, 7000), 1e-12);
        assertTrue(m.describe().startsWith("profile p.csv (15 steps"));
    }

    @Test
    void load_sampleProfileFromCalibratedModel_fitsWithinReportedError() {
        ProfileCostModel m = sampleProfile();
        assertTrue(m.medianRelativeError() < 0.10, m.describe());
        assertTrue(m.maxRelativeError() < 0.35, m.describe());
        assertEquals(0.001, m.cpuOverheadSeconds());
    }

    @Test
    void load_path_readsFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
        Path ok = dir.resolve("ok.csv");
        Files.writeString(ok, HEADER + "512,0,0,40\n0,8,8000,12\n0,64,64000,30\n");
        ProfileCostModel m = CostModels.profile(ok, 0.002);
        assertTrue(m.stepSeconds(512, 512L * 512, 0, 0) > 0);
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, HEADER + "512,0,0,40\n0,x,8000,12\n");
        String msg = assertThrows(IllegalArgumentException.class, () -> ProfileCostModel.load(bad, 0)).getMessage();
        assertEquals(bad + ":3: field 'decode_seqs': not a whole number: 'x'", msg);
        Path missing = dir.resolve("missing.csv");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ProfileCostModel.load(missing, 0));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void load_wrongHeader_namesLineAndField() {
        assertEquals("p.csv:2: header field 3 must be 'decode_context_tokens', got 'ctx' (expected header "
                + "prefill_tokens,decode_seqs,decode_context_tokens,step_ms)",
                error("# comment\nprefill_tokens,decode_seqs,ctx,step_ms\n1,0,0,1\n"));
        assertTrue(error("prefill_tokens,decode_seqs\n").contains("p.csv:1: header field 3"));
    }

    @Test
    void load_badFields_nameLineAndField() {
        assertEquals("p.csv:3: field 'step_ms': not a number: 'fast'", error(HEADER + "1,0,0,2\n2,0,0,fast\n"));
        assertEquals("p.csv:2: field 'step_ms': must be a finite number > 0, got 0", error(HEADER + "1,0,0,0\n"));
        assertEquals("p.csv:2: field 'prefill_tokens': must be >= 0, got -5", error(HEADER + "-5,0,0,1\n"));
        assertEquals("p.csv:2: field 'prefill_tokens': not a whole number: '1.5'", error(HEADER + "1.5,0,0,1\n"));
        assertEquals("p.csv:3: expected 4 fields [prefill_tokens, decode_seqs, decode_context_tokens, step_ms], got 3",
                error(HEADER + "1,0,0,1\n1,0,0\n"));
        assertEquals("p.csv:2: empty step: prefill_tokens and decode_seqs are both 0", error(HEADER + "0,0,0,1\n"));
        assertEquals("p.csv:2: field 'decode_context_tokens' is 100 but decode_seqs is 0",
                error(HEADER + "5,0,100,1\n"));
    }

    @Test
    void load_emptyOrTooShort_explains() {
        assertEquals("p.csv: no header; expected prefill_tokens,decode_seqs,decode_context_tokens,step_ms",
                error("# only a comment\n\n"));
        assertEquals("p.csv: 1 data rows; at least 2 measured steps are needed", error(HEADER + "1,0,0,1\n"));
        assertThrows(IllegalArgumentException.class, () -> ProfileCostModel.load("p.csv", new StringReader(HEADER), -1));
    }

    @Test
    void load_extraColumnsAndBlankLines_ignored() {
        ProfileCostModel m = load("prefill_tokens,decode_seqs,decode_context_tokens,step_ms,gpu_util\n\n"
                + "100,0,0,10,0.9\n # note\n0,4,400,5,0.5\n");
        assertTrue(m.stepSeconds(100, 10_000, 0, 0) > 0);
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LengthRulesTest {

    @Test
    void analyse_wordCountEssay_tokensFromWords() {
        assertEquals(1350, LengthRules.analyse("Write a 1000-word essay about the French revolution.").tokens(), 1e-9);
        assertEquals(270, LengthRules.analyse("Summarise this in 200 words: ...").tokens(), 1e-9);
        assertEquals(67.5, LengthRules.analyse("Describe Rome in under 50 words").tokens(), 1e-9);
    }

    @Test
    void analyse_sentencesAndParagraphs_tokensFromUnits() {
        assertEquals(75, LengthRules.analyse("Explain gravity in three sentences.").tokens(), 1e-9);
        assertEquals(550, LengthRules.analyse("Write 5 paragraphs on tea").tokens(), 1e-9);
    }

    @Test
    void analyse_absurdExplicitSize_cappedAtMaxTokens() {
        // 12,345,678 pages x 450 tokens was clamped to 2147483647 tokens downstream
        assertEquals(LengthRules.MAX_TOKENS, LengthRules.analyse("Write a 12345,678-page novel about cats.").tokens(), 1e-9);
        assertEquals(LengthRules.MAX_TOKENS, LengthRules.analyse("Answer in 99999 paragraphs").tokens(), 1e-9);
        assertEquals(1_000_000, MopeModelTest.model(MopeModel.Routing.SOFT, 0, 0, 0)
                .predict(new float[4 + MopeModel.EXTRA_FEATURES], LengthRules.analyse("a 12345,678-page novel"), 0).tokens());
    }

    @Test
    void analyse_terseCue_terseWithoutSize() {
        LengthRules.Cue c = LengthRules.analyse("Answer in one word: what colour is the sky?");
        assertTrue(c.terse());
        assertTrue(Double.isNaN(c.tokens()));
        assertTrue(LengthRules.analyse("Is Paris in France? Yes or no.").terse());
    }

    @Test
    void analyse_noCue_none() {
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse("Tell me about the history of Rome."));
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse(""));
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse(null));
    }

    @Test
    void analyse_longPrompt_onlyFirst4000CharactersRead() {
        String pad = "x".repeat(LengthRules.SCAN_CHARS - "in 300 words".length() - 1) + " ";
        assertEquals(405, LengthRules.analyse(pad + "in 300 words" + " more text").tokens(), 1e-9); // ends at 4000
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse("x".repeat(LengthRules.SCAN_CHARS - 5) + " in 300 words"));
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse("y".repeat(5000) + " Yes or no?"));
        assertTrue(LengthRules.analyse("Yes or no? " + "y".repeat(5000)).terse());
    }

    @Test
    void analyse_cutInsideSurrogatePair_sameAsPrefix() {
        // "words" ends at index 3998 and a supplementary letter (U+1D400, a word character) straddles the cut at
        // 4000: in the 4000-character prefix its lone high half is no word character, so a boundary follows "words"
        String pad = "x".repeat(LengthRules.SCAN_CHARS - "in 300 words".length() - 2) + " ";
        String prompt = pad + "in 300 words" + "\uD835\uDC00 tail";
        assertEquals(LengthRules.SCAN_CHARS - 1, LengthRules.scanEnd(prompt));
        assertEquals(405, LengthRules.analyse(prompt).tokens(), 1e-9);
        assertEquals(LengthRules.Cue.NONE, LengthRules.analyse("in 300 words\uD835\uDC00")); // not cut: no boundary
    }
}

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
    void analyse_terseCue_terseWithoutSize() {
        LengthRules.Cue c = LengthRules.analyse("Answer in one word: what colour is the sky?");
        assertTrue(c.terse());
        assertTrue(Double.isNaN(c.tokens()));
        assertTrue(LengthRules.analyse("Is Paris in France? Yes or no.").terse());
    }

    @Test
    void analyse_noCue_none() {
        assertFalse(LengthRules.analyse("Tell me about the history of Rome.").any());
        assertFalse(LengthRules.analyse("").any());
        assertFalse(LengthRules.analyse(null).any());
    }
}

package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MopeTokenizerTest {
    private static final int CLS = 101;
    private static final int SEP = 102;

    @Test
    void tokenize_shortText_clsTextSepAndCount() {
        MopeTokenizer.Tokens t = SharedModels.tokenizer().tokenize("the cat sat");
        assertEquals(3, t.count());
        assertEquals(5, t.ids().length);
        assertEquals(CLS, t.ids()[0]);
        assertEquals(SEP, t.ids()[4]);
    }

    @Test
    void tokenize_longerThanMaxTokens_headKeptSepLastFullCount() {
        MopeTokenizer tok = SharedModels.tokenizer();
        MopeTokenizer.Tokens t = tok.tokenize("word ".repeat(2000));
        assertEquals(2000, t.count());
        assertEquals(tok.maxTokens(), t.ids().length);
        assertEquals(CLS, t.ids()[0]);
        assertEquals(SEP, t.ids()[tok.maxTokens() - 1]);
    }

    @Test
    void tokenize_hundredThousandWords_countsTheWordsOfTheFirst98304Chars() {
        MopeTokenizer tok = SharedModels.tokenizer();
        String huge = "word ".repeat(100_000); // 500,000 characters
        MopeTokenizer.Tokens t = tok.tokenize(huge);
        // the cut keeps 4096 * 24 = 98,304 characters: 19,660 whole "word " (98,300 chars) + "word" (4 chars)
        assertEquals(98_304, MopeTokenizer.CUT_TOKENS * MopeTokenizer.CHARS_PER_TOKEN_CUT);
        assertEquals(19_661, t.count());
        assertEquals(tok.count(MopeTokenizer.cut(huge)), t.count());
        assertEquals(tok.maxTokens(), t.ids().length);
    }

    @Test
    void count_hundredThousandTokens_exactNoCut() {
        // the 98,304-character cut is the prediction path's (tokenize), not count's: data-set response lengths
        // and the simulator's prompt and output lengths are counted whole
        MopeTokenizer tok = SharedModels.tokenizer();
        String huge = "word ".repeat(100_000);
        assertEquals(100_000, tok.count(huge));
        String past = "word ".repeat(20_000); // 100,000 characters, just past the cut
        assertEquals(20_000, tok.count(past));
        assertTrue(tok.tokenize(past).count() < 20_000, "tokenize cuts: " + tok.tokenize(past).count());
        assertEquals(3, tok.count("the cat sat"));
        assertEquals(0, tok.count(null));
        assertEquals(0, tok.count(""));
        assertTrue(tok.tokenize(huge).count() < 100_000, "tokenize still cuts: " + tok.tokenize(huge).count());
        try (TokenCounter c = TokenCounter.load(null)) {
            assertEquals(100_000, c.count(huge));
        }
    }

    @Test
    void tokenize_nullAndEmpty_onlySpecialTokens() {
        assertEquals(0, SharedModels.tokenizer().tokenize(null).count());
        assertEquals(2, SharedModels.tokenizer().tokenize("").ids().length);
    }

    @Test
    void sanitise_controlCharsAndLoneSurrogates_replaced() {
        assertEquals("a b\tc\n", MopeTokenizer.sanitise("a\u0000b\tc\n"));
        assertEquals("x\uFFFDy\uFFFD", MopeTokenizer.sanitise("x\uD800y\uDC00"));
        String ok = "fine \uD83D\uDE00 text"; // a valid surrogate pair (emoji) is kept as is
        assertSame(ok, MopeTokenizer.sanitise(ok));
    }

    @Test
    void tokenize_binaryJunk_tokenizesWithoutError() {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < 0xFFFF; c += 7) {
            sb.append((char) c);
        }
        MopeTokenizer.Tokens t = SharedModels.tokenizer().tokenize(sb.toString());
        assertTrue(t.ids().length >= 2);
        assertEquals(SEP, t.ids()[t.ids().length - 1]);
    }

    @Test
    void load_missingFile_throwsMopeException(@TempDir Path dir) {
        MopeException e = assertThrows(MopeException.class, () -> MopeTokenizer.load(dir.resolve("none.json").toString(), 512));
        assertTrue(e.getMessage().contains("none.json"), e.getMessage());
    }

    @Test
    void load_corruptJson_throwsMopeException(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\": 42");
        assertThrows(MopeException.class, () -> MopeTokenizer.load(f.toString(), 512));
    }

    @Test
    void load_classpathResource_sameIdsAsDefault() {
        try (MopeTokenizer t = MopeTokenizer.load("classpath:" + MopeTokenizer.MINILM_TOKENIZER, 512)) {
            assertEquals(java.util.Arrays.toString(SharedModels.tokenizer().encode("hello world")),
                    java.util.Arrays.toString(t.encode("hello world")));
        }
    }
}

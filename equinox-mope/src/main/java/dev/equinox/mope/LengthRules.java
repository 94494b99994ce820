package dev.equinox.mope;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule half of the router: explicit length cues in the prompt. An explicit size ("a 1000-word essay",
 * "in 300 words", "under 50 words", "in 3 sentences", "5 paragraphs") gives a direct estimate in tokens; a
 * terse-answer cue ("in one word", "yes or no", "answer with a number", "one sentence") sends the request to the
 * shortest bucket. The request's max-tokens cap is applied by {@link MopeModel} (bucket and value clamped).
 *
 * <p>Conversion factors (tokens of an LLM tokenizer per unit of English): 1.35 per word, 25 per sentence, 110 per
 * paragraph, 450 per page. An explicit size is capped at {@link #MAX_TOKENS} tokens: "a 12345,678-page novel" is
 * a number the regular expression reads, not a length any model produces.
 */
final class LengthRules {
    private static final String NUM = "(\\d{1,5}(?:,\\d{3})?|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)";
    private static final Pattern SIZE = Pattern.compile(
            "(?:\\b" + NUM + "[- ](word|sentence|paragraph|page|line|bullet)s?\\b)"
                    + "|(?:\\b(?:in|within|under|about|around|exactly|approximately|at most|no more than|less than|fewer than|up to|max(?:imum)?(?: of)?)\\s+"
                    + NUM + "\\s+(words?|sentences?|paragraphs?|pages?|lines?|bullet points?|bullets?)\\b)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TERSE = Pattern.compile(
            "\\b(in (?:a single|one) word|one-word|single word|yes or no|yes/no|true or false|answer with (?:a|one) (?:word|number|letter)"
                    + "|only (?:the|a) (?:number|name|answer|word)|just (?:the|a) (?:number|name|answer|word)"
                    + "|in (?:a single|one) sentence|one sentence|one-sentence)\\b",
            Pattern.CASE_INSENSITIVE);

    /** What the rules found; {@code tokens} is NaN when no explicit size was given. */
    record Cue(double tokens, boolean terse) {
        static final Cue NONE = new Cue(Double.NaN, false);
    }

    /** The largest explicit size a rule gives, in tokens (a million: far beyond any model's output). */
    static final double MAX_TOKENS = 1_000_000;

    /** The rules read a prompt's first 4000 characters: cues sit in the instruction, and the cost stays bounded. */
    static final int SCAN_CHARS = 4000;

    private LengthRules() {
    }

    static Cue analyse(String prompt) {
        if (prompt == null || prompt.isEmpty()) {
            return Cue.NONE;
        }
        int end = scanEnd(prompt);
        if (TERSE.matcher(prompt).region(0, end).find()) { // "in one word" is terse, not a 1-word size: a few tokens
            return new Cue(Double.NaN, true);
        }
        Matcher m = SIZE.matcher(prompt).region(0, end);
        if (m.find()) {
            String num = m.group(1) != null ? m.group(1) : m.group(3);
            String unit = (m.group(2) != null ? m.group(2) : m.group(4)).toLowerCase(Locale.ROOT);
            double n = number(num);
            if (n > 0) {
                double per = unit.startsWith("word") ? 1.35 : unit.startsWith("sentence") || unit.startsWith("line")
                        || unit.startsWith("bullet") ? 25 : unit.startsWith("paragraph") ? 110 : 450;
                return new Cue(Math.min(MAX_TOKENS, Math.max(1, n * per)), false);
            }
        }
        return Cue.NONE;
    }

    /**
     * Where the rules stop reading: after {@value #SCAN_CHARS} characters, or one fewer when the last would be the
     * high half of a surrogate pair (a word-boundary check at the region's end would otherwise read the whole pair).
     * With the region's default opaque bounds, the matches are those of the prefix
     * {@code prompt.substring(0, SCAN_CHARS)}, without copying it: a lone high surrogate at that prefix's end is
     * neither matchable nor a word character, like the region's end.
     */
    static int scanEnd(String prompt) {
        if (prompt.length() <= SCAN_CHARS) {
            return prompt.length();
        }
        return Character.isHighSurrogate(prompt.charAt(SCAN_CHARS - 1)) ? SCAN_CHARS - 1 : SCAN_CHARS;
    }

    private static double number(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "one": return 1;
            case "two": return 2;
            case "three": return 3;
            case "four": return 4;
            case "five": return 5;
            case "six": return 6;
            case "seven": return 7;
            case "eight": return 8;
            case "nine": return 9;
            case "ten": return 10;
            case "twenty": return 20;
            case "fifty": return 50;
            case "hundred": return 100;
            default:
                try {
                    return Double.parseDouble(s.replace(",", ""));
                } catch (NumberFormatException e) {
                    return -1;
                }
        }
    }
}

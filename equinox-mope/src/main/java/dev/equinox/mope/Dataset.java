package dev.equinox.mope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * Prompt/output-length examples from a JSONL file (optionally gzip-compressed, detected by its magic bytes).
 * Each line is an object with a prompt ({@code prompt}, or {@code instruction} plus {@code input} as in
 * GPTeacher) and an output ({@code output_tokens}, or text in {@code response} / {@code output} whose tokens are
 * counted with the tokenizer). Optional: the tenant ({@code tenant}, {@code model_name} or {@code subset}) and
 * the generation cap ({@code max_tokens} or {@code sampling_params.max_new_tokens}); an output that reaches the
 * cap is a lower bound of the true length. Lines are split on {@code \n} only (texts contain U+2028).
 */
final class Dataset {
    /** One example; {@code cap} is 0 when unknown. */
    record Example(String prompt, String tenant, int outputTokens, int cap) {
    }

    private Dataset() {
    }

    /**
     * Reads up to {@code limit} examples (0: all), chosen uniformly at random with {@code seed} when the file has
     * more, kept in file order (the order the moving-average baseline observes them in). Examples whose output
     * text is empty are skipped.
     */
    static List<Example> read(Path file, int limit, long seed, MopeTokenizer tokenizer) {
        List<JsonNode> rows = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        long lineNo = 0; // the file's line number (blank lines count), for messages
        long index = 0; // non-blank lines read: the reservoir's index
        try (InputStream raw = Files.newInputStream(file);
                BufferedReader r = new BufferedReader(new InputStreamReader(maybeGunzip(raw), StandardCharsets.UTF_8), 1 << 16)) {
            // reservoir sample of line texts, so a 80k-line file is not parsed in full into memory twice
            List<String> sample = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(seed);
            String line;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                index++;
                if (limit <= 0 || sample.size() < limit) {
                    sample.add(lineNo + "\t" + line);
                } else {
                    long j = rnd.nextLong(index);
                    if (j < limit) {
                        sample.set((int) j, lineNo + "\t" + line);
                    }
                }
            }
            sample.sort((a, b) -> Long.compare(Long.parseLong(a.substring(0, a.indexOf('\t'))),
                    Long.parseLong(b.substring(0, b.indexOf('\t')))));
            for (String s : sample) {
                int tab = s.indexOf('\t');
                try {
                    rows.add(om.readTree(s.substring(tab + 1)));
                } catch (IOException e) { // Jackson's own location is within the line: name the file's line
                    throw new MopeException("cannot read data set " + file + " (line " + s.substring(0, tab) + "): "
                            + e.getMessage(), e);
                }
            }
        } catch (NoSuchFileException e) {
            throw new MopeException("data set not found: " + file, e);
        } catch (IOException e) {
            throw new MopeException("cannot read data set " + file + " (line " + lineNo + "): " + e.getMessage(), e);
        }
        List<Example> out = new ArrayList<>(rows.size());
        for (JsonNode n : rows) {
            Example e = example(n, tokenizer, file);
            if (e != null) {
                out.add(e);
            }
        }
        if (out.isEmpty()) {
            throw new MopeException("data set " + file + " has no usable examples (need 'prompt' or 'instruction', and "
                    + "'response', 'output' or 'output_tokens')");
        }
        return out;
    }

    /**
     * The same examples with tenants replaced: {@code field} keeps the data's own ({@code tenant},
     * {@code model_name} or {@code subset}); {@code hash:N} assigns tenant {@code t0..t(N-1)} from the seed and the
     * example's index in {@code data} alone ({@code SplittableRandom(seed * 31 + index)}, equal expected shares), so
     * the tenant is unrelated to the example's content, as in the simulator's row-hash trace readers (which draw
     * Zipf-skewed shares with another hash).
     *
     * @throws IllegalArgumentException for another value
     */
    static List<Example> withTenants(List<Example> data, String rule, long seed) {
        if (rule == null || rule.equals("field")) {
            return data;
        }
        if (!rule.startsWith("hash:")) {
            throw new IllegalArgumentException("tenants must be 'field' or 'hash:N', got '" + rule + "'");
        }
        int n;
        try {
            n = Integer.parseInt(rule.substring(5));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tenants 'hash:N' needs an integer N, got '" + rule + "'");
        }
        if (n < 1) {
            throw new IllegalArgumentException("tenants 'hash:N' needs N >= 1, got " + n);
        }
        List<Example> out = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            Example e = data.get(i);
            long h = new SplittableRandom(seed * 31 + i).nextLong();
            out.add(new Example(e.prompt(), "t" + Math.floorMod(h, n), e.outputTokens(), e.cap()));
        }
        return out;
    }

    /** {@code n} examples drawn without replacement with {@code seed}, kept in their original order. */
    static List<Example> sample(List<Example> data, int n, long seed) {
        if (n >= data.size()) {
            return data;
        }
        int[] idx = new int[data.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            int j = i + rnd.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(idx, n);
        java.util.Arrays.sort(chosen);
        List<Example> out = new ArrayList<>(n);
        for (int i : chosen) {
            out.add(data.get(i));
        }
        return out;
    }

    static InputStream maybeGunzip(InputStream raw) throws IOException {
        java.io.BufferedInputStream b = new java.io.BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int a = b.read();
        int c = b.read();
        b.reset();
        return a == 0x1f && c == 0x8b ? new GZIPInputStream(b, 1 << 16) : b;
    }

    private static Example example(JsonNode n, MopeTokenizer tok, Path file) {
        String prompt;
        if (n.hasNonNull("prompt")) {
            prompt = n.get("prompt").asText();
        } else if (n.hasNonNull("instruction")) {
            String input = n.path("input").asText("");
            prompt = n.get("instruction").asText() + (input.isBlank() ? "" : "\n" + input);
        } else {
            return null;
        }
        int tokens;
        if (n.hasNonNull("output_tokens")) {
            tokens = n.get("output_tokens").asInt();
        } else {
            String text = n.hasNonNull("response") ? n.get("response").asText() : n.hasNonNull("output") ? n.get("output").asText() : null;
            if (text == null) {
                return null;
            }
            tokens = tok.count(text);
        }
        if (tokens <= 0) {
            return null;
        }
        String tenant = n.hasNonNull("tenant") ? n.get("tenant").asText()
                : n.hasNonNull("model_name") ? n.get("model_name").asText()
                : n.hasNonNull("subset") ? n.get("subset").asText() : "default";
        int cap = n.hasNonNull("max_tokens") ? n.get("max_tokens").asInt() : n.path("sampling_params").path("max_new_tokens").asInt(0);
        return new Example(prompt, tenant, tokens, Math.max(0, cap));
    }
}

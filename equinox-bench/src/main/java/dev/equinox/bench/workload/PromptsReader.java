package dev.equinox.bench.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.equinox.mope.MopeException;
import dev.equinox.mope.TokenCounter;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Prompt/response data sets as workloads with real prompt text, for text-based predictors ({@code --predictor
 * mope}): JSONL (gzip ok), one object per line with the prompt ({@code prompt}, or GPTeacher's
 * {@code instruction} plus {@code input}) and the true output length ({@code output_tokens}, or response text
 * in {@code response} or {@code output}, counted with the tokenizer). Prompt tokens are counted with the same
 * tokenizer (default: all-MiniLM-L6-v2's WordPiece, MoPE's; key {@code tokenizer=PATH} for another
 * tokenizer.json). Lines without a prompt or an output are skipped.
 *
 * <p>The data sets have no arrival times: arrivals are synthetic, Poisson at {@code rate} requests per second
 * ({@code arrival=poisson}, the default) or evenly spaced ({@code arrival=uniform}), from the spec's seed.
 * Tenants: by default {@link TenantAssigner} ({@code tenants}, {@code skew}); {@code by=FIELD} uses a field of
 * each line instead (e.g. {@code by=subset} for GPTeacher, {@code by=model_name} for Open-Assistant).
 * {@code sample=N} keeps N lines drawn uniformly with the seed (in file order) before anything is counted, so a
 * sample of a large file is cheap.
 *
 * <pre>
 * prompts:/data/gpteacher_instruct_response.jsonl.gz?sample=2000&amp;rate=4&amp;by=subset
 * prompts:/data/oasst_model_eval_samples.jsonl.gz?sample=3000&amp;tenants=4&amp;skew=1&amp;rate=2
 * </pre>
 */
public final class PromptsReader implements WorkloadReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "prompts";
    }

    @Override
    public String usage() {
        return "prompts:PATH  prompt/response JSONL (gz ok); keys rate=1 arrival=poisson|uniform sample=N tenants=8 skew=1.0 "
                + "by=FIELD tokenizer=PATH";
    }

    @Override
    public Workload read(WorkloadSpec spec) throws IOException {
        double rate = spec.number("rate", 1.0);
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': rate must be finite and > 0, got " + rate);
        }
        String arrival = spec.string("arrival", "poisson");
        if (!arrival.equals("poisson") && !arrival.equals("uniform")) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': arrival must be poisson or uniform, got '" + arrival + "'");
        }
        int sample = spec.integer("sample", 0);
        if (sample < 0) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': sample must be >= 0, got " + sample);
        }
        String by = spec.string("by", null);
        String tokenizer = spec.string("tokenizer", null);
        TenantAssigner assign = TenantAssigner.fromSpec(spec);
        spec.checkKeys(Set.of("rate", "arrival", "sample", "by", "tokenizer", "tenants", "skew"));
        String file = spec.location();
        List<long[]> lineNos = new ArrayList<>();
        List<String> lines = sample(file, sample, spec.seed(), lineNos);
        Workload.Builder b = Workload.builder(spec.text());
        if (by == null) {
            for (String t : assign.names()) {
                b.tenant(t, null);
            }
        }
        SplittableRandom rnd = new SplittableRandom(spec.seed() ^ 0x5DEECE66DL);
        double t = 0;
        int skipped = 0;
        try (TokenCounter counter = TokenCounter.load(tokenizer)) {
            for (int k = 0; k < lines.size(); k++) {
                long no = lineNos.get(k)[0];
                JsonNode n;
                try {
                    n = JSON.readTree(lines.get(k));
                } catch (JsonProcessingException e) {
                    throw new WorkloadFormatException(file, no, null, "invalid JSON: " + e.getOriginalMessage());
                }
                String prompt = prompt(n);
                int out = output(n, counter, file, no);
                if (prompt == null || out <= 0) {
                    skipped++;
                    continue;
                }
                int in = Math.max(1, counter.count(prompt));
                String tenant;
                if (by == null) {
                    tenant = assign.tenantOf(no - 1);
                } else {
                    JsonNode v = n.get(by);
                    if (v == null || v.isNull() || v.asText().isBlank()) {
                        throw new WorkloadFormatException(file, no, by, "missing (tenants come from by=" + by + ")");
                    }
                    tenant = v.asText();
                }
                b.add(no - 1, tenant, t, in, out, prompt);
                t += arrival.equals("uniform") ? 1 / rate : -Math.log(1 - rnd.nextDouble()) / rate;
            }
        } catch (MopeException e) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': " + e.getMessage(), e);
        }
        if (b.size() == 0) {
            throw new WorkloadFormatException(file, 0, null, "no usable lines (need 'prompt' or 'instruction', and "
                    + "'output_tokens', 'response' or 'output')");
        }
        b.description(String.format(Locale.ROOT, "prompts %s: %d requests%s, %s arrivals at %.3g req/s, tenants %s, tokens counted "
                + "with %s", file, b.size(), skipped > 0 ? " (" + skipped + " lines skipped)" : "", arrival, rate,
                by == null ? assign.describe() : "by field '" + by + "'", tokenizer == null ? "MiniLM's WordPiece" : tokenizer));
        return b.build();
    }

    /** Non-blank lines (all, or a seeded uniform sample of n kept in file order) and their 1-based line numbers. */
    private static List<String> sample(String file, int n, long seed, List<long[]> lineNos) throws IOException {
        List<String> keep = new ArrayList<>();
        List<Long> nos = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        long seen = 0;
        try (BufferedReader r = TraceFiles.open(file)) {
            StringBuilder buf = new StringBuilder(4096);
            String line;
            long no = 0;
            while ((line = TraceFiles.readLine(r, buf)) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                seen++;
                if (n == 0 || keep.size() < n) {
                    keep.add(line);
                    nos.add(no);
                } else {
                    long j = rnd.nextLong(seen);
                    if (j < n) {
                        keep.set((int) j, line);
                        nos.set((int) j, no);
                    }
                }
            }
        }
        Integer[] order = new Integer[keep.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Long.compare(nos.get(x), nos.get(y)));
        List<String> out = new ArrayList<>(order.length);
        for (int i : order) {
            out.add(keep.get(i));
            lineNos.add(new long[] {nos.get(i)});
        }
        return out;
    }

    private static String prompt(JsonNode n) {
        if (n.hasNonNull("prompt")) {
            return n.get("prompt").asText();
        }
        if (n.hasNonNull("instruction")) {
            String input = n.path("input").asText("");
            return n.get("instruction").asText() + (input.isBlank() ? "" : "\n" + input);
        }
        return null;
    }

    private static int output(JsonNode n, TokenCounter counter, String file, long no) throws WorkloadFormatException {
        if (n.hasNonNull("output_tokens")) {
            JsonNode v = n.get("output_tokens");
            if (!v.canConvertToInt() || v.asInt() < 0) {
                throw new WorkloadFormatException(file, no, "output_tokens", "expected a non-negative integer, got " + v);
            }
            return v.asInt();
        }
        JsonNode text = n.hasNonNull("response") ? n.get("response") : n.get("output");
        return text == null || text.isNull() ? -1 : counter.count(text.asText());
    }
}

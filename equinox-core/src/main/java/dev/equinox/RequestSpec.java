package dev.equinox;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a caller submits: the tenant, the prompt (its length, optionally its text or token ids), the output cap,
 * an optional priority and, for simulation, the true output length. Immutable and validated on construction:
 * a blank tenant, a non-positive prompt length or output cap, or a token-id array whose length differs from
 * {@code promptTokens} throw {@link IllegalArgumentException} naming the field and value.
 *
 * <pre>{@code
 * RequestSpec spec = RequestSpec.of("tenant-a", 512, 256).withPromptText(prompt).withPriority(1);
 * }</pre>
 */
public final class RequestSpec {
    private final String tenant;
    private final int promptTokens;
    private final int maxOutputTokens;
    private final int priority;
    private final String promptText;
    private final int[] promptTokenIds;
    private final int expectedOutputTokens;

    private RequestSpec(String tenant, int promptTokens, int maxOutputTokens, int priority, String promptText,
            int[] promptTokenIds, int expectedOutputTokens) {
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("tenant must be a non-blank string, got " + (tenant == null ? "null" : "'" + tenant + "'"));
        }
        if (promptTokens <= 0) {
            throw new IllegalArgumentException("promptTokens must be > 0, got " + promptTokens + " (tenant '" + tenant + "')");
        }
        if (maxOutputTokens <= 0) {
            throw new IllegalArgumentException("maxOutputTokens must be > 0, got " + maxOutputTokens + " (tenant '" + tenant + "')");
        }
        if (promptTokenIds != null && promptTokenIds.length != promptTokens) {
            throw new IllegalArgumentException("promptTokenIds has " + promptTokenIds.length + " ids but promptTokens is " + promptTokens);
        }
        if (expectedOutputTokens != -1 && expectedOutputTokens <= 0) {
            throw new IllegalArgumentException("expectedOutputTokens must be > 0 (or unset), got " + expectedOutputTokens);
        }
        this.tenant = tenant;
        this.promptTokens = promptTokens;
        this.maxOutputTokens = maxOutputTokens;
        this.priority = priority;
        this.promptText = promptText;
        this.promptTokenIds = promptTokenIds;
        this.expectedOutputTokens = expectedOutputTokens;
    }

    /** A request of {@code promptTokens} prompt tokens that may produce up to {@code maxOutputTokens}. */
    public static RequestSpec of(String tenant, int promptTokens, int maxOutputTokens) {
        return new RequestSpec(tenant, promptTokens, maxOutputTokens, 0, null, null, -1);
    }

    /** A copy with the prompt text (used by text-based predictors such as MoPE). */
    public RequestSpec withPromptText(String text) {
        return new RequestSpec(tenant, promptTokens, maxOutputTokens, priority, Objects.requireNonNull(text, "text"), promptTokenIds, expectedOutputTokens);
    }

    /** A copy with the prompt's token ids (copied); their count must equal {@link #promptTokens()}. */
    public RequestSpec withPromptTokenIds(int[] ids) {
        return new RequestSpec(tenant, promptTokens, maxOutputTokens, priority, promptText, Objects.requireNonNull(ids, "ids").clone(), expectedOutputTokens);
    }

    /** A copy with a priority; lower values run first under the priority policy (default 0). */
    public RequestSpec withPriority(int newPriority) {
        return new RequestSpec(tenant, promptTokens, maxOutputTokens, newPriority, promptText, promptTokenIds, expectedOutputTokens);
    }

    /**
     * A copy that carries the true output length. Only simulators know it; the oracle predictor reads it and no
     * other part of the scheduler does.
     */
    public RequestSpec withExpectedOutputTokens(int tokens) {
        return new RequestSpec(tenant, promptTokens, maxOutputTokens, priority, promptText, promptTokenIds, tokens);
    }

    public String tenant() {
        return tenant;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int maxOutputTokens() {
        return maxOutputTokens;
    }

    public int priority() {
        return priority;
    }

    /** The prompt text, or {@code null} when only the length was given. */
    public String promptText() {
        return promptText;
    }

    /** A copy of the prompt's token ids, or {@code null} when not given. */
    public int[] promptTokenIds() {
        return promptTokenIds == null ? null : promptTokenIds.clone();
    }

    /** The true output length when known (simulation), else -1. */
    public int expectedOutputTokens() {
        return expectedOutputTokens;
    }

    @Override
    public String toString() {
        return "RequestSpec[tenant=" + tenant + ", promptTokens=" + promptTokens + ", maxOutputTokens=" + maxOutputTokens
                + ", priority=" + priority + (promptText != null ? ", text" : "") + (promptTokenIds != null ? ", ids" : "")
                + (expectedOutputTokens > 0 ? ", expected=" + expectedOutputTokens : "") + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RequestSpec)) {
            return false;
        }
        RequestSpec s = (RequestSpec) o;
        return tenant.equals(s.tenant) && promptTokens == s.promptTokens && maxOutputTokens == s.maxOutputTokens
                && priority == s.priority && Objects.equals(promptText, s.promptText)
                && Arrays.equals(promptTokenIds, s.promptTokenIds) && expectedOutputTokens == s.expectedOutputTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenant, promptTokens, maxOutputTokens, priority, promptText, expectedOutputTokens) * 31
                + Arrays.hashCode(promptTokenIds);
    }
}

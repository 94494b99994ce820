package dev.equinox;

/** Why a submission was refused. Rejections are cheap values, never thrown at the submitting thread. */
public enum Rejection {
    /**
     * The submission is malformed: {@code submit(null)}. Field-level checks (blank tenant, non-positive prompt or
     * output length) run earlier, when the {@link RequestSpec} is built, and throw {@link IllegalArgumentException}
     * naming the field and the value, so a malformed spec never reaches a scheduler.
     */
    INVALID_REQUEST,
    /** The scheduler-wide waiting limit ({@code maxWaiting}) is reached. */
    QUEUE_FULL,
    /** The tenant's own waiting limit ({@code maxWaitingPerTenant}) is reached. */
    TENANT_QUEUE_FULL,
    /** The tenant is not registered and the scheduler requires registration. */
    UNKNOWN_TENANT,
    /**
     * The tenant is new and the scheduler already keeps its limit of tenants ({@code maxTenants}): a scheduler keeps
     * every tenant it has seen for its lifetime, so the limit bounds its memory when tenant ids come from users.
     */
    TENANT_LIMIT,
    /** Prompt plus maximum output exceed the context limit. */
    EXCEEDS_CONTEXT,
    /**
     * The request could never be admitted, even with nothing else running: the prompt plus its first output token
     * exceed the KV cache (in VTC reference mode: prompt plus maximum output reach the KV capacity).
     */
    EXCEEDS_KV_CAPACITY,
    /** The scheduler is closed. */
    SHUTDOWN
}

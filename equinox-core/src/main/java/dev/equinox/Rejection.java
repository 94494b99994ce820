package dev.equinox;

/** Why a submission was refused. Rejections are cheap values, never thrown at the submitting thread. */
public enum Rejection {
    /** The scheduler-wide waiting limit ({@code maxWaiting}) is reached. */
    QUEUE_FULL,
    /** The tenant's own waiting limit ({@code maxWaitingPerTenant}) is reached. */
    TENANT_QUEUE_FULL,
    /** The tenant is not registered and the scheduler requires registration. */
    UNKNOWN_TENANT,
    /** Prompt plus maximum output exceed the context limit. */
    EXCEEDS_CONTEXT,
    /** The prompt alone could never fit the KV cache, even with nothing else running. */
    EXCEEDS_KV_CAPACITY,
    /** The scheduler is closed. */
    SHUTDOWN
}

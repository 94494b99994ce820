package dev.equinox;

/** Where a request is in its life. Every request ends in exactly one terminal state. */
public enum RequestStatus {
    /** Accepted and waiting for admission (also after a preemption). */
    QUEUED,
    /** Admitted: holds KV memory and takes part in steps. */
    RUNNING,
    /** Terminal: produced its last token (stop token or length limit). */
    FINISHED,
    /** Terminal: cancelled by the caller or aborted by the engine. */
    CANCELLED,
    /** Terminal: refused at submission; never queued. */
    REJECTED,
    /** Terminal: the scheduler gave up on it (for example it was closed with the request pending). */
    FAILED;

    /** Whether no further transition can happen. */
    public boolean isTerminal() {
        return this == FINISHED || this == CANCELLED || this == REJECTED || this == FAILED;
    }
}

package dev.equinox;

/** Why a running request stopped, as the engine reports it in a step completion. */
public enum FinishReason {
    /** Not finished: the request continues. */
    NONE,
    /** The model produced a stop token. */
    STOP,
    /** The request reached its {@code maxOutputTokens}. */
    LENGTH,
    /** The engine aborted the request (its future completes as {@link RequestStatus#CANCELLED}). */
    ABORT
}

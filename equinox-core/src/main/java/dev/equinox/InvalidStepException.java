package dev.equinox;

/**
 * The engine broke the step protocol: a completion for a batch that was not issued (or already completed), an
 * entry reported twice, a bad duration or utilization, or {@code nextBatch()} called while a batch is out.
 * Thrown on the engine thread; the scheduler's state is left unchanged.
 */
public final class InvalidStepException extends EquinoxException {
    private static final long serialVersionUID = 1L;

    public InvalidStepException(String message) {
        super(message);
    }
}

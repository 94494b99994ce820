package dev.equinox.gpu;

/**
 * The entries of one engine step as the executor needs them: the read-only view of a core
 * {@link dev.equinox.Batch} (decode entries first), abstracted so that the calibrator and the tests can describe
 * steps without a scheduler.
 */
interface StepEntries {
    int size();

    int decodeCount();

    long requestId(int i);

    boolean isPrefill(int i);

    int tokenOffset(int i);

    int tokenCount(int i);

    boolean producesToken(int i);
}

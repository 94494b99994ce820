package dev.equinox.mope;

import dev.equinox.EquinoxException;

/**
 * The one exception equinox-mope throws for its own failures: a missing or corrupt model file, an encoder that
 * cannot be mapped, a deep-learning engine whose native library fails to load, an unreadable data set. The
 * message names the file or component; the cause, when there is one, is the underlying error.
 */
public class MopeException extends EquinoxException {
    private static final long serialVersionUID = 1L;

    /** An error described by {@code message}. */
    public MopeException(String message) {
        super(message);
    }

    /** An error described by {@code message}, caused by {@code cause}. */
    public MopeException(String message, Throwable cause) {
        super(message, cause);
    }
}

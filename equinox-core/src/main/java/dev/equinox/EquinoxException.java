package dev.equinox;

/** Base of every exception Equinox throws or completes a future with. */
public class EquinoxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EquinoxException(String message) {
        super(message);
    }

    public EquinoxException(String message, Throwable cause) {
        super(message, cause);
    }
}

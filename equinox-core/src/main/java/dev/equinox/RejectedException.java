package dev.equinox;

/** A submission was refused; names the tenant and the {@link Rejection} reason. */
public final class RejectedException extends EquinoxException {
    private static final long serialVersionUID = 1L;
    private final String tenant;
    private final Rejection reason;

    public RejectedException(String tenant, Rejection reason, String message) {
        super("request of tenant '" + tenant + "' rejected (" + reason + "): " + message);
        this.tenant = tenant;
        this.reason = reason;
    }

    /** The tenant whose request was refused. */
    public String tenant() {
        return tenant;
    }

    /** Why it was refused. */
    public Rejection reason() {
        return reason;
    }
}

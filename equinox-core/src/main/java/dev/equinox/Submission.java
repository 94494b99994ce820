package dev.equinox;

import java.util.Objects;

/**
 * The answer to {@link Scheduler#submit}: either {@link Accepted} with a handle, or {@link Rejected} with the
 * tenant and the typed reason. A rejection is a value, not an exception, so a busy server pays nothing for it.
 */
public sealed interface Submission permits Submission.Accepted, Submission.Rejected {

    /** Whether the request was queued. */
    boolean accepted();

    /** The handle, or throws {@link RejectedException} describing the rejection. */
    RequestHandle orElseThrow();

    /** The request was queued. */
    record Accepted(RequestHandle handle) implements Submission {
        public Accepted {
            Objects.requireNonNull(handle, "handle");
        }

        @Override
        public boolean accepted() {
            return true;
        }

        @Override
        public RequestHandle orElseThrow() {
            return handle;
        }
    }

    /** The request was refused and never queued. */
    record Rejected(String tenant, Rejection reason, String message) implements Submission {
        @Override
        public boolean accepted() {
            return false;
        }

        @Override
        public RequestHandle orElseThrow() {
            throw new RejectedException(tenant, reason, message);
        }
    }
}

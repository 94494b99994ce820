package dev.equinox.bench.workload;

import java.io.IOException;

/** A workload file that cannot be read: the message names the file, the line and the field. */
public final class WorkloadFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long line;
    private final String field;

    public WorkloadFormatException(String file, long line, String field, String problem) {
        super(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "': ") + problem);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public String file() {
        return file;
    }

    /** 1-based line number. */
    public long line() {
        return line;
    }

    /** The field at fault, or null when the line as a whole is. */
    public String field() {
        return field;
    }
}

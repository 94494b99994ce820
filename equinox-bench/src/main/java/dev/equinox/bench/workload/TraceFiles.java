package dev.equinox.bench.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening trace files: plain or gzip (by the magic bytes), UTF-8, lines split on '\n' only. */
final class TraceFiles {
    private TraceFiles() {
    }

    static BufferedReader open(String location) throws IOException {
        Path p = Path.of(location);
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(location, null, "workload file not found");
        }
        InputStream in = new java.io.BufferedInputStream(Files.newInputStream(p), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        FailAtEnd gz = null;
        if (b0 == 0x1f && b1 == 0x8b) {
            gz = new FailAtEnd(new GZIPInputStream(in, 1 << 16));
            in = gz;
        }
        return new NamedReader(location, new InputStreamReader(in, StandardCharsets.UTF_8), gz);
    }

    /** A reader that knows its file and how many lines were read, for error messages. */
    static final class NamedReader extends BufferedReader {
        final String file;
        final FailAtEnd gzip; // null for a plain file
        long lines;

        NamedReader(String file, java.io.Reader in, FailAtEnd gzip) {
            super(in, 1 << 16);
            this.file = file;
            this.gzip = gzip;
        }
    }

    /**
     * Turns a read error of the decompressor (truncated or corrupt gzip data) into the end of the stream and keeps it,
     * so the data decoded before it is still read line by line and the error is reported at the line where the data
     * stops, not at the line being read when the reader's read-ahead met it.
     */
    static final class FailAtEnd extends java.io.FilterInputStream {
        IOException failure;

        FailAtEnd(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            if (failure != null) {
                return -1;
            }
            try {
                return super.read();
            } catch (IOException e) {
                failure = e;
                return -1;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failure != null) {
                return -1;
            }
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                return -1;
            }
        }

        @Override
        public int available() throws IOException {
            if (failure != null) {
                return 0;
            }
            try {
                return super.available();
            } catch (IOException e) {
                failure = e;
                return 0;
            }
        }
    }

    /** Reads one line ending in '\n' (a lone '\r' before it is dropped); null at the end. */
    static String readLine(BufferedReader r, StringBuilder buf) throws IOException {
        buf.setLength(0);
        int c;
        boolean any = false;
        boolean newline = false;
        try {
            while ((c = r.read()) >= 0) {
                any = true;
                if (c == '\n') {
                    newline = true;
                    break;
                }
                buf.append((char) c);
            }
        } catch (IOException e) {
            if (r instanceof NamedReader && !(e instanceof WorkloadFormatException)) {
                NamedReader n = (NamedReader) r;
                throw new WorkloadFormatException(n.file, n.lines + 1, null, "cannot be read at or after this line (truncated or corrupt compressed data?): " + e);
            }
            throw e;
        }
        if (!newline && r instanceof NamedReader && ((NamedReader) r).gzip != null && ((NamedReader) r).gzip.failure != null) {
            // the decompressed data ends here, before the end of the file: this line and all after it are lost
            NamedReader n = (NamedReader) r;
            throw new WorkloadFormatException(n.file, n.lines + 1, null, "gzip data truncated or corrupt: cannot be read at or after this line ("
                    + n.gzip.failure + ")");
        }
        if (any && r instanceof NamedReader) {
            ((NamedReader) r).lines++;
        }
        if (!any) {
            return null;
        }
        int n = buf.length();
        if (n > 0 && buf.charAt(n - 1) == '\r') {
            buf.setLength(n - 1);
        }
        return buf.toString();
    }

    /**
     * Checks that an arrival (seconds from the start of the trace) is at most {@link Workload#MAX_ARRIVAL_SECONDS}.
     *
     * @throws WorkloadFormatException naming the file, line and field otherwise
     */
    static double checkArrival(String file, long line, String field, double seconds) throws WorkloadFormatException {
        if (seconds > Workload.MAX_ARRIVAL_SECONDS) {
            throw new WorkloadFormatException(file, line, field, Workload.Builder.arrivalTooLate(seconds));
        }
        return seconds;
    }

    static int parsePositiveInt(String file, long line, String field, String v) throws WorkloadFormatException {
        try {
            int x = Integer.parseInt(v.trim());
            if (x <= 0) {
                throw new WorkloadFormatException(file, line, field, "must be a positive integer, got " + x);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new WorkloadFormatException(file, line, field, "expected an integer, got '" + v + "'");
        }
    }

    static int parseNonNegativeInt(String file, long line, String field, String v) throws WorkloadFormatException {
        try {
            int x = Integer.parseInt(v.trim());
            if (x < 0) {
                throw new WorkloadFormatException(file, line, field, "must be >= 0, got " + x);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new WorkloadFormatException(file, line, field, "expected an integer, got '" + v + "'");
        }
    }

    static double parseTime(String file, long line, String field, String v) throws WorkloadFormatException {
        try {
            double x = Double.parseDouble(v.trim());
            if (!(x >= 0) || Double.isInfinite(x)) {
                throw new WorkloadFormatException(file, line, field, "must be a finite number >= 0, got " + v.trim());
            }
            return x;
        } catch (NumberFormatException e) {
            throw new WorkloadFormatException(file, line, field, "expected a number, got '" + v + "'");
        }
    }
}

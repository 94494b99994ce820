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
        if (b0 == 0x1f && b1 == 0x8b) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        return new NamedReader(location, new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** A reader that knows its file and how many lines were read, for error messages. */
    static final class NamedReader extends BufferedReader {
        final String file;
        long lines;

        NamedReader(String file, java.io.Reader in) {
            super(in, 1 << 16);
            this.file = file;
        }
    }

    /** Reads one line ending in '\n' (a lone '\r' before it is dropped); null at the end. */
    static String readLine(BufferedReader r, StringBuilder buf) throws IOException {
        buf.setLength(0);
        int c;
        boolean any = false;
        try {
            while ((c = r.read()) >= 0) {
                any = true;
                if (c == '\n') {
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

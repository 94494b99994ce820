package dev.equinox.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The error bar of the GPU commands: a bad option or input prints one line {@code cmd: message} naming the option
 * or file and the bad value, and exits with code 2, without a stack trace. Each command's {@code call()} runs its
 * body through {@link #guard}, so the bar holds however the command is launched ({@link GpuMain} or the
 * {@code equinox} CLI of equinox-bench).
 */
final class Cli {
    /** Exit code of a bad option or input, and of a missing GPU. */
    static final int USAGE = 2;

    private Cli() {
    }

    /**
     * Runs {@code body}; {@link IllegalArgumentException}, {@link GpuUnavailableException} and I/O errors become
     * {@code cmd: message} on the error stream and exit code 2. Anything else propagates (a bug: exit 1 with a trace).
     */
    static int guard(CommandSpec spec, Callable<Integer> body) throws Exception {
        String cmd = spec.name();
        try {
            return body.call();
        } catch (GpuUnavailableException e) {
            spec.commandLine().getErr().println(cmd + ": GPU unavailable: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(cmd + ": " + e.getMessage());
        } catch (UncheckedIOException e) {
            spec.commandLine().getErr().println(cmd + ": " + why(e.getCause()));
        } catch (IOException e) {
            spec.commandLine().getErr().println(cmd + ": " + why(e));
        }
        spec.commandLine().getErr().flush();
        return USAGE;
    }

    /** Why an I/O operation failed, in words: "no such file: x", "permission denied: x", else the message. */
    static String why(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return "no such file: " + f.getFile();
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof NotDirectoryException f) {
            return "not a directory: " + f.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + ": " + f.getFile();
        }
        String m = e.getMessage();
        return m != null ? m : e.getClass().getSimpleName();
    }

    /** Throws "{@code option} must be >= {@code min}, got {@code value}" unless {@code value >= min}. */
    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
        }
    }

    /** Throws unless {@code value} is finite and {@code > 0} (or {@code >= 0} when {@code zeroOk}). */
    static void positive(String option, double value, boolean zeroOk) {
        if (!Double.isFinite(value) || value < 0 || (!zeroOk && value == 0)) {
            throw new IllegalArgumentException(option + " must be a finite number " + (zeroOk ? ">= 0" : "> 0") + ", got " + value);
        }
    }

    /** {@code parse.get()}, with an {@link IllegalArgumentException}'s message prefixed by {@code option: }. */
    static <T> T option(String option, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    /** Throws unless {@code value} is {@code gpu} or {@code cpu}; returns true for {@code gpu}. */
    static boolean gpuBackend(String value) {
        if (value.equalsIgnoreCase("gpu")) {
            return true;
        }
        if (value.equalsIgnoreCase("cpu")) {
            return false;
        }
        throw new IllegalArgumentException("--backend must be gpu or cpu, got " + value);
    }

    /**
     * Checks up front that {@code file} can be written (its folder is created), so that a long run does not fail at
     * its end.
     *
     * @throws IllegalArgumentException "{@code option}: cannot write FILE: why"
     */
    static void writable(String option, Path file) {
        Path abs = file.toAbsolutePath();
        String bad = null;
        try {
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            if (Files.isDirectory(abs)) {
                bad = "it is a directory";
            } else if (Files.exists(abs) ? !Files.isWritable(abs) : abs.getParent() != null && !Files.isWritable(abs.getParent())) {
                bad = "permission denied";
            }
        } catch (IOException e) {
            bad = why(e);
        }
        if (bad != null) {
            throw new IllegalArgumentException(option + ": cannot write " + file + ": " + bad);
        }
    }

    /** Checks up front that {@code file} is a readable regular file. */
    static void readable(String option, Path file) {
        String bad = !Files.exists(file) ? "no such file" : Files.isDirectory(file) ? "it is a directory"
                : !Files.isReadable(file) ? "permission denied" : null;
        if (bad != null) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + bad);
        }
    }
}

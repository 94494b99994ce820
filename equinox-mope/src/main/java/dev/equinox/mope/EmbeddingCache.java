package dev.equinox.mope;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Frozen-encoder embeddings computed once: a file of (64-bit key of the token ids, float vector) records that
 * training and evaluation append to, so a second run over the same prompts embeds nothing. A torn last record
 * (interrupted run) is ignored. Single-threaded.
 */
final class EmbeddingCache implements AutoCloseable {
    private final Map<Long, float[]> map = new HashMap<>();
    private final DataOutputStream out;
    private final int dim;

    EmbeddingCache(Path file, int dim) {
        this.dim = dim;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (Files.exists(file)) {
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                    while (true) {
                        long key = in.readLong();
                        int d = in.readInt();
                        if (d != dim) {
                            throw new MopeException("embedding cache " + file + " holds " + d + "-d vectors, expected " + dim + "; delete it");
                        }
                        float[] v = new float[d];
                        for (int i = 0; i < d; i++) {
                            v[i] = in.readFloat();
                        }
                        map.put(key, v);
                    }
                } catch (EOFException end) {
                    // done (a torn final record is dropped)
                }
            }
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND), 1 << 16));
        } catch (IOException e) {
            throw new MopeException("cannot open embedding cache " + file + ": " + e, e);
        }
    }

    static long key(int[] ids) {
        long h = 0xcbf29ce484222325L;
        for (int id : ids) {
            h ^= id;
            h *= 0x100000001b3L;
            h ^= h >>> 29;
        }
        return h ^ ((long) ids.length << 48);
    }

    int size() {
        return map.size();
    }

    float[] get(int[] ids) {
        return map.get(key(ids));
    }

    void put(int[] ids, float[] v) {
        long k = key(ids);
        if (map.putIfAbsent(k, v) == null) {
            try {
                out.writeLong(k);
                out.writeInt(dim);
                for (float f : v) {
                    out.writeFloat(f);
                }
            } catch (IOException e) {
                throw new MopeException("cannot write the embedding cache: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new MopeException("cannot close the embedding cache: " + e, e);
        }
    }
}

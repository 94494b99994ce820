package dev.equinox.mope;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal reader of the ONNX protobuf ({@code ModelProto}): the graph's float initializers and its nodes (op
 * type, inputs, outputs), which is all that is needed to map a BERT-family export onto {@link BertEncoder}.
 * No protobuf library: the wire format is decoded by hand (varints, length-delimited fields, fixed 32/64).
 *
 * <p>Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1,
 * output = 2, name = 3, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4, int64_data = 7,
 * name = 8, raw_data = 9, data_location = 14 (external data is rejected).
 */
final class OnnxReader {
    static final int FLOAT = 1;
    static final int INT64 = 7;

    /** A float (or int64, converted) initializer. */
    record Tensor(String name, long[] dims, float[] data) {
        /** The first dimension; a tensor without dimensions (a scalar) has none. */
        int rows() {
            if (dims.length == 0) {
                throw new MopeException("ONNX tensor '" + name + "' has no dimensions, expected a matrix");
            }
            return (int) dims[0];
        }

        int cols() {
            return dims.length > 1 ? (int) dims[1] : 1;
        }
    }

    /** One graph node. */
    record Node(String opType, String name, List<String> inputs, List<String> outputs) {
    }

    /** The parts of a graph the encoder needs. */
    record Graph(Map<String, Tensor> initializers, List<Node> nodes) {
    }

    private final byte[] buf;
    private int pos;
    private int limit;

    private OnnxReader(byte[] buf) {
        this.buf = buf;
        this.limit = buf.length;
    }

    /**
     * Parses a serialized ONNX model.
     *
     * @throws MopeException when the bytes are not a well-formed ONNX model with a graph
     */
    static Graph read(byte[] model) {
        try {
            OnnxReader r = new OnnxReader(model);
            Graph g = null;
            while (r.pos < r.limit) {
                int tag = r.varint32();
                if (tag >>> 3 == 7 && (tag & 7) == 2) {
                    int len = r.length(r.limit);
                    g = r.graph(r.pos + len);
                } else {
                    r.skip(tag);
                }
            }
            if (g == null) {
                throw new MopeException("not an ONNX model: no graph found (" + model.length + " bytes)");
            }
            return g;
        } catch (RuntimeException e) {
            if (e instanceof MopeException) {
                throw e;
            }
            throw new MopeException("corrupt ONNX model (" + model.length + " bytes): " + e, e);
        }
    }

    private Graph graph(int end) {
        Map<String, Tensor> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (pos < end) {
            int tag = varint32();
            int field = tag >>> 3;
            if (field == 1 && (tag & 7) == 2) {
                int len = length(end);
                nodes.add(node(pos + len));
            } else if (field == 5 && (tag & 7) == 2) {
                int len = length(end);
                Tensor t = tensor(pos + len);
                if (t != null) {
                    inits.put(t.name(), t);
                }
            } else {
                skip(tag);
            }
        }
        check(pos == end, "graph overran its length");
        return new Graph(inits, nodes);
    }

    private Node node(int end) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        while (pos < end) {
            int tag = varint32();
            int field = tag >>> 3;
            if ((tag & 7) == 2 && field >= 1 && field <= 4) {
                String s = string(end);
                switch (field) {
                    case 1 -> in.add(s);
                    case 2 -> out.add(s);
                    case 3 -> name = s;
                    default -> op = s;
                }
            } else {
                skip(tag);
            }
        }
        check(pos == end, "node overran its length");
        return new Node(op, name, in, out);
    }

    /** Returns null for tensors of types the encoder never needs. */
    private Tensor tensor(int end) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        float[] floatData = null;
        long[] longData = null;
        int rawOff = -1;
        int rawLen = 0;
        boolean external = false;
        while (pos < end) {
            int tag = varint32();
            int field = tag >>> 3;
            int wire = tag & 7;
            if (field == 1 && wire == 0) {
                dims.add(varint64());
            } else if (field == 1 && wire == 2) {
                int e = length(end) + pos;
                while (pos < e) {
                    dims.add(varint64());
                }
            } else if (field == 2 && wire == 0) {
                type = varint32();
            } else if (field == 4 && wire == 2) {
                int len = length(end); // bounded by the bytes present: no allocation beyond the file's size
                check(len % 4 == 0, "tensor float_data of " + len + " bytes, not a multiple of 4");
                floatData = new float[len / 4];
                ByteBuffer.wrap(buf, pos, len).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floatData);
                pos += len;
            } else if (field == 7 && wire == 2) {
                int e = length(end) + pos;
                List<Long> vals = new ArrayList<>();
                while (pos < e) {
                    vals.add(varint64());
                }
                longData = vals.stream().mapToLong(Long::longValue).toArray();
            } else if (field == 8 && wire == 2) {
                name = string(end);
            } else if (field == 9 && wire == 2) {
                rawLen = length(end);
                rawOff = pos;
                pos += rawLen;
            } else if (field == 14 && wire == 0) {
                external = varint32() == 1;
            } else {
                skip(tag);
            }
        }
        check(pos == end, "tensor overran its length");
        if (external) {
            throw new MopeException("ONNX initializer '" + name + "' uses external data, which is not supported");
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long x : d) {
            check(x >= 0 && x <= buf.length, "tensor " + name + " has dimension " + x + " (" + dims + ")");
            n = x == 0 || n == 0 ? 0 : n <= buf.length / x ? n * x : -1;
            check(n >= 0, "tensor " + name + " has shape " + dims + ", more values than the file's " + buf.length + " bytes hold");
        }
        float[] data;
        if (type == FLOAT) {
            if (rawOff >= 0) {
                check(rawLen == n * 4, "tensor " + name + " has " + rawLen + " raw bytes for " + n + " floats");
                data = new float[(int) n];
                ByteBuffer.wrap(buf, rawOff, rawLen).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            } else {
                data = floatData == null ? new float[0] : floatData;
                check(data.length == n, "tensor " + name + " has " + data.length + " floats for " + n);
            }
        } else if (type == INT64) {
            long[] v = longData;
            if (rawOff >= 0) {
                check(rawLen % 8 == 0, "tensor " + name + " has " + rawLen + " raw bytes, not a multiple of 8");
                v = new long[rawLen / 8];
                ByteBuffer.wrap(buf, rawOff, rawLen).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
            }
            v = v == null ? new long[0] : v;
            check(v.length == n, "tensor " + name + " has " + v.length + " int64 values for " + n);
            data = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                data[i] = v[i];
            }
        } else {
            return null;
        }
        return new Tensor(name, d, data);
    }

    private String string(int end) {
        int len = length(end);
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private void skip(int tag) {
        switch (tag & 7) {
            case 0 -> varint64();
            case 1 -> pos += 8;
            case 2 -> {
                int len = length(limit); // advances pos past the prefix: add after reading it
                pos += len;
            }
            case 5 -> pos += 4;
            default -> throw new MopeException("corrupt ONNX model: wire type " + (tag & 7) + " at byte " + pos);
        }
        check(pos <= limit, "field runs past the end");
    }

    /**
     * A length prefix, checked to fit between the current position and {@code end} (the enclosing message's end,
     * itself within the buffer), so every length-delimited read and allocation is bounded by the bytes present.
     */
    private int length(int end) {
        long len = varint64();
        check(len >= 0 && len <= Math.min(end, limit) - pos, "length " + len + " at byte " + pos + " runs past the end");
        return (int) len;
    }

    private int varint32() {
        return (int) varint64();
    }

    private long varint64() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            check(pos < limit, "varint runs past the end");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new MopeException("corrupt ONNX model: varint too long at byte " + pos);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new MopeException("corrupt ONNX model: " + what);
        }
    }
}

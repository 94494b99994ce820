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
        int rows() {
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
                    int len = r.varint32();
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
                int len = varint32();
                nodes.add(node(pos + len));
            } else if (field == 5 && (tag & 7) == 2) {
                int len = varint32();
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
                String s = string();
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
                int e = varint32() + pos;
                while (pos < e) {
                    dims.add(varint64());
                }
            } else if (field == 2 && wire == 0) {
                type = varint32();
            } else if (field == 4 && wire == 2) {
                int len = varint32();
                floatData = new float[len / 4];
                ByteBuffer.wrap(buf, pos, len).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floatData);
                pos += len;
            } else if (field == 7 && wire == 2) {
                int e = varint32() + pos;
                List<Long> vals = new ArrayList<>();
                while (pos < e) {
                    vals.add(varint64());
                }
                longData = vals.stream().mapToLong(Long::longValue).toArray();
            } else if (field == 8 && wire == 2) {
                name = string();
            } else if (field == 9 && wire == 2) {
                rawLen = varint32();
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
            n *= x;
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
                v = new long[rawLen / 8];
                ByteBuffer.wrap(buf, rawOff, rawLen).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
            }
            v = v == null ? new long[0] : v;
            data = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                data[i] = v[i];
            }
        } else {
            return null;
        }
        return new Tensor(name, d, data);
    }

    private String string() {
        int len = varint32();
        check(len >= 0 && pos + len <= limit, "string runs past the end");
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private void skip(int tag) {
        switch (tag & 7) {
            case 0 -> varint64();
            case 1 -> pos += 8;
            case 2 -> {
                int len = varint32();
                check(len >= 0, "negative length");
                pos += len;
            }
            case 5 -> pos += 4;
            default -> throw new MopeException("corrupt ONNX model: wire type " + (tag & 7) + " at byte " + pos);
        }
        check(pos <= limit, "field runs past the end");
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

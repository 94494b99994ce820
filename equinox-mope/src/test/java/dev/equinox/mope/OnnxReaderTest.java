package dev.equinox.mope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OnnxReaderTest {

    // --- a tiny protobuf writer, enough to build ModelProto messages ---
    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void bytesField(ByteArrayOutputStream o, int field, byte[] b) {
        varint(o, (long) field << 3 | 2);
        varint(o, b.length);
        o.writeBytes(b);
    }

    private static void intField(ByteArrayOutputStream o, int field, long v) {
        varint(o, (long) field << 3);
        varint(o, v);
    }

    static byte[] tensor(String name, long[] dims, float[] data, boolean raw) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        for (long d : dims) {
            intField(t, 1, d);
        }
        intField(t, 2, OnnxReader.FLOAT);
        ByteBuffer bb = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            bb.putFloat(f);
        }
        bytesField(t, 8, name.getBytes(StandardCharsets.UTF_8));
        bytesField(t, raw ? 9 : 4, bb.array());
        return t.toByteArray();
    }

    static byte[] node(String op, String[] in, String[] out) {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        for (String s : in) {
            bytesField(n, 1, s.getBytes(StandardCharsets.UTF_8));
        }
        for (String s : out) {
            bytesField(n, 2, s.getBytes(StandardCharsets.UTF_8));
        }
        bytesField(n, 4, op.getBytes(StandardCharsets.UTF_8));
        return n.toByteArray();
    }

    static byte[] model(byte[]... graphParts) {
        ByteArrayOutputStream g = new ByteArrayOutputStream();
        for (byte[] p : graphParts) {
            g.writeBytes(p);
        }
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        intField(m, 1, 8); // ir_version
        bytesField(m, 2, "test".getBytes(StandardCharsets.UTF_8)); // producer_name
        bytesField(m, 7, g.toByteArray());
        return m.toByteArray();
    }

    private static byte[] graphField(int field, byte[] msg) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        bytesField(o, field, msg);
        return o.toByteArray();
    }

    @Test
    void read_rawAndFloatDataInitializers_decodedLittleEndian() {
        byte[] m = model(
                graphField(5, tensor("onnx::MatMul_1", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, true)),
                graphField(5, tensor("encoder.layer.0.attention.self.query.bias", new long[] {3}, new float[] {0.5f, -1, 2}, false)),
                graphField(1, node("MatMul", new String[] {"x", "onnx::MatMul_1"}, new String[] {"mm"})),
                graphField(1, node("Add", new String[] {"encoder.layer.0.attention.self.query.bias", "mm"}, new String[] {"y"})));
        OnnxReader.Graph g = OnnxReader.read(m);
        assertEquals(2, g.initializers().size());
        OnnxReader.Tensor w = g.initializers().get("onnx::MatMul_1");
        assertArrayEquals(new long[] {2, 3}, w.dims());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.data());
        assertArrayEquals(new float[] {0.5f, -1, 2}, g.initializers().get("encoder.layer.0.attention.self.query.bias").data());
        assertEquals(2, g.nodes().size());
        assertEquals("Add", g.nodes().get(1).opType());
        assertEquals(Arrays.asList("x", "onnx::MatMul_1"), g.nodes().get(0).inputs());
    }

    @Test
    void hfNames_anonymousMatMulWeight_namedAfterItsBias() {
        byte[] m = model(
                graphField(5, tensor("bert.embeddings.word_embeddings.weight", new long[] {1, 3}, new float[3], true)),
                graphField(5, tensor("onnx::MatMul_9", new long[] {3, 3}, new float[9], true)),
                graphField(5, tensor("bert.encoder.layer.0.attention.self.query.bias", new long[] {3}, new float[3], true)),
                graphField(1, node("MatMul", new String[] {"x", "onnx::MatMul_9"}, new String[] {"mm"})),
                graphField(1, node("Add", new String[] {"bert.encoder.layer.0.attention.self.query.bias", "mm"}, new String[] {"y"})));
        var names = BertEncoder.hfNames(OnnxReader.read(m));
        assertEquals(9, names.get("encoder.layer.0.attention.self.query.weight#io").data().length);
        assertEquals(3, names.get("embeddings.word_embeddings.weight").data().length);
    }

    @Test
    void read_truncatedBytes_throwsMopeException() {
        byte[] m = model(graphField(5, tensor("a", new long[] {4}, new float[] {1, 2, 3, 4}, true)));
        assertThrows(MopeException.class, () -> OnnxReader.read(Arrays.copyOf(m, m.length - 5)));
    }

    @Test
    void read_noGraph_throwsMopeException() {
        assertThrows(MopeException.class, () -> OnnxReader.read(new byte[] {8, 1}));
        assertThrows(MopeException.class, () -> OnnxReader.read("hello, not onnx".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void read_floatDataLengthBeyondFile_throwsWithoutAllocating() {
        // a float_data field claiming 2 GiB in a file of a few dozen bytes: was new float[len / 4] (2 GiB) first
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        intField(t, 1, 4);
        intField(t, 2, OnnxReader.FLOAT);
        bytesField(t, 8, "big".getBytes(StandardCharsets.UTF_8));
        varint(t, 4 << 3 | 2);
        varint(t, 0x7FFF_FFFCL);
        t.writeBytes(new byte[16]);
        MopeException e = assertThrows(MopeException.class, () -> OnnxReader.read(model(graphField(5, t.toByteArray()))));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void read_dimsWhoseProductOverflows_throwsMopeException() {
        // 2^32 x 2^32 overflows a long to 0, which matched 0 raw bytes: a tensor of no data claiming a huge shape
        byte[] m = model(graphField(5, tensor("embeddings.word_embeddings.weight", new long[] {1L << 32, 1L << 32}, new float[0], true)));
        assertThrows(MopeException.class, () -> OnnxReader.read(m));
    }

    @Test
    void fromOnnx_wordEmbeddingsWithoutDims_throwsMopeExceptionNamingFile() {
        // a scalar word-embedding tensor: dims[0] was an ArrayIndexOutOfBoundsException escaping the load
        byte[] m = model(graphField(5, tensor("embeddings.word_embeddings.weight", new long[0], new float[] {1}, true)));
        MopeException e = assertThrows(MopeException.class, () -> BertEncoder.fromOnnx(m, 0, BertEncoder.ENGINE, "scalar.onnx"));
        assertTrue(e.getMessage().contains("scalar.onnx") && e.getMessage().contains("word_embeddings"), e.getMessage());
        assertThrows(MopeException.class, () -> new OnnxReader.Tensor("s", new long[0], new float[1]).rows());
    }

    @Test
    void fromOnnx_notBertModel_throwsMopeException() {
        byte[] m = model(graphField(5, tensor("conv.weight", new long[] {2}, new float[2], true)));
        assertThrows(MopeException.class, () -> BertEncoder.fromOnnx(m, 0, BertEncoder.ENGINE, "not-bert"));
    }
}

package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static com.seedsq.engine.format.gguf.GgufTestWriter.le;
import static com.seedsq.engine.format.gguf.GgufTestWriter.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {

    @TempDir
    Path dir;

    private GgufTestWriter tinyLlama() {
        ByteArrayOutputStream tokens = new ByteArrayOutputStream();
        ByteArrayOutputStream scores = new ByteArrayOutputStream();
        ByteArrayOutputStream types = new ByteArrayOutputStream();
        String[] vocab = {"<unk>", "<s>", "</s>", "\u2581Once", "\u2581upon"};
        for (int i = 0; i < vocab.length; i++) {
            tokens.writeBytes(string(vocab[i]));
            scores.writeBytes(le(4).putFloat(-i).array());
            types.writeBytes(le(4).putInt(i < 3 ? 3 : 1).array());
        }
        short h = Float.floatToFloat16(-1.5f);
        return new GgufTestWriter()
                .kvString("general.architecture", "llama")
                .kvU32("llama.block_count", 5)
                .kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .kv("test.u8", 0, new byte[] {(byte) 200})
                .kv("test.i8", 1, new byte[] {-5})
                .kv("test.u16", 2, le(2).putShort((short) 60000).array())
                .kv("test.i16", 3, le(2).putShort((short) -300).array())
                .kv("test.i32", 5, le(4).putInt(-7).array())
                .kv("test.bool", 7, new byte[] {1})
                .kv("test.u64", 10, le(8).putLong(1L << 40).array())
                .kv("test.i64", 11, le(8).putLong(-(1L << 40)).array())
                .kv("test.f64", 12, le(8).putDouble(Math.PI).array())
                .kvArray("test.nested", 9, 2, concat(
                        concat(le(4).putInt(5).array(), le(8).putLong(2).array(), le(4).putInt(1).array(), le(4).putInt(2).array()),
                        concat(le(4).putInt(8).array(), le(8).putLong(1).array(), string("x"))))
                .kvString("tokenizer.ggml.model", "llama")
                .kvArray("tokenizer.ggml.tokens", 8, vocab.length, tokens.toByteArray())
                .kvArray("tokenizer.ggml.scores", 6, vocab.length, scores.toByteArray())
                .kvArray("tokenizer.ggml.token_type", 5, vocab.length, types.toByteArray())
                .kvU32("tokenizer.ggml.bos_token_id", 1)
                .kvU32("tokenizer.ggml.eos_token_id", 2)
                // GGUF dims innermost first: ne = [3, 2] is a 2-row, 3-column matrix.
                .tensorF32("blk.0.attn_q.weight", new long[] {3, 2}, 1, 2, 3, 4, 5, 6)
                .tensor("output_norm.weight", new long[] {2}, 1,
                        concat(le(2).putShort(h).array(), le(2).putShort(Float.floatToFloat16(2f)).array()))
                .tensor("bf", new long[] {1}, 30, new byte[] {(byte) 0x80, 0x3f});
    }

    @Test
    void readsMetadataTensorsAndTokenizer() throws IOException {
        Path f = dir.resolve("m.gguf");
        tinyLlama().write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.version());
            assertEquals("llama", g.architecture());
            assertEquals(5L, g.metadata().get("llama.block_count"));
            assertEquals(1e-5f, g.metadata().get("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(200, g.metadata().get("test.u8"));
            assertEquals(-5, g.metadata().get("test.i8"));
            assertEquals(60000, g.metadata().get("test.u16"));
            assertEquals(-300, g.metadata().get("test.i16"));
            assertEquals(-7, g.metadata().get("test.i32"));
            assertEquals(true, g.metadata().get("test.bool"));
            assertEquals(1L << 40, g.metadata().get("test.u64"));
            assertEquals(-(1L << 40), g.metadata().get("test.i64"));
            assertEquals(Math.PI, g.metadata().get("test.f64"));
            assertEquals(List.of(List.of(1, 2), List.of("x")), g.metadata().get("test.nested"));

            TensorData q = g.tensor("blk.0.attn_q.weight");
            assertEquals(DType.F32, q.dtype());
            assertArrayEquals(new long[] {2, 3}, q.shape());
            assertArrayEquals(new long[] {3, 2}, g.tensorInfos().get("blk.0.attn_q.weight").ggufDims());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, q.toFloatArray());
            assertArrayEquals(new float[] {-1.5f, 2f}, g.tensor("output_norm.weight").toFloatArray());
            assertEquals(DType.BF16, g.tensor("bf").dtype());
            assertEquals(1f, g.tensor("bf").getFloat(0));
            assertEquals(0, g.tensorInfos().get("output_norm.weight").offset() % 32);

            GgufTokenizerData tok = g.tokenizerData().orElseThrow();
            assertEquals("llama", tok.model());
            assertEquals(List.of("<unk>", "<s>", "</s>", "\u2581Once", "\u2581upon"), tok.tokens());
            assertArrayEquals(new float[] {0, -1, -2, -3, -4}, tok.scores());
            assertArrayEquals(new int[] {3, 3, 3, 1, 1}, tok.tokenTypes());
            assertEquals(1, tok.bos());
            assertEquals(2, tok.eos());
            assertEquals(-1, tok.unk());
        }
    }

    @Test
    void honoursCustomAlignmentAndVersion2() throws IOException {
        Path f = dir.resolve("a.gguf");
        GgufTestWriter w = new GgufTestWriter().kvU32("general.alignment", 64)
                .tensorF32("a", new long[] {1}, 7).tensorF32("b", new long[] {2}, 8, 9);
        w.alignment = 64;
        w.version = 2;
        w.write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(2, g.version());
            assertEquals(64, g.tensorInfos().get("b").offset());
            assertArrayEquals(new float[] {8, 9}, g.tensor("b").toFloatArray());
            assertNull(g.architecture());
            assertTrue(g.tokenizerData().isEmpty());
        }
    }

    @Test
    void quantizedTypesAreRefusedByName() throws IOException {
        Path f = dir.resolve("q.gguf");
        new GgufTestWriter().tensor("blk.0.ffn_up.weight", new long[] {256, 1}, 12, new byte[144]).write(f);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(f));
        assertEquals("blk.0.ffn_up.weight", e.tensor());
        assertTrue(e.getMessage().contains("quantized GGUF type Q4_K not supported"), e.getMessage());
    }

    @Test
    void truncatedDataAndMisalignedOffsets() throws IOException {
        Path f = dir.resolve("t.gguf");
        new GgufTestWriter().tensorF32("a", new long[] {4}, 1, 2, 3, 4).tensorF32("b", new long[] {16}, new float[16]).write(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(f));
        assertEquals("b", e.tensor());
        assertTrue(e.getMessage().contains("run past its end"), e.getMessage());

        GgufTestWriter mis = new GgufTestWriter().tensorF32("a", new long[] {4}, 1, 2, 3, 4).tensorF32("b", new long[] {1}, 1);
        mis.lastOffsetOverride = 8;
        mis.write(f);
        ModelFormatException m = assertThrows(ModelFormatException.class, () -> GgufFile.open(f));
        assertTrue(m.getMessage().contains("tensor 'b': data offset 8 is not a multiple of the alignment 32"), m.getMessage());

        GgufTestWriter past = new GgufTestWriter().tensorF32("a", new long[] {1}, 1);
        past.lastOffsetOverride = 1L << 20;
        past.write(f);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(f)).getMessage().contains("run past its end"));
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = dir.resolve("o.gguf");
        GgufTestWriter w = new GgufTestWriter().tensorF32("a", new long[] {16}, new float[16]).tensorF32("b", new long[] {1}, 1);
        w.lastOffsetOverride = 32; // inside a's 64 bytes
        w.write(f);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(f));
        assertEquals("b", e.tensor());
        assertTrue(e.getMessage().contains("overlap tensor 'a'"), e.getMessage());
    }

    @Test
    void badHeaders() throws IOException {
        Path f = dir.resolve("h.gguf");
        Files.write(f, "GGML....".getBytes());
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(f)).getMessage().contains("bad magic"));

        GgufTestWriter v1 = new GgufTestWriter();
        v1.version = 1;
        v1.write(f);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(f)).getMessage().contains("version 1"));

        new GgufTestWriter().kv("weird", 13, new byte[4]).write(f);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(f)).getMessage()
                .contains("metadata key 'weird' has unknown value type 13"));

        new GgufTestWriter().kvString("general.name", "x").write(f);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, 54)); // header 24 + key 20 + type 4: cut inside the value
        ModelFormatException cut = assertThrows(ModelFormatException.class, () -> GgufFile.open(f));
        assertTrue(cut.getMessage().contains("metadata key 'general.name'") && cut.getMessage().contains("truncated"),
                cut.getMessage());
    }

    @Test
    void missingTensor() throws IOException {
        Path f = dir.resolve("m.gguf");
        new GgufTestWriter().tensorF32("a", new long[] {1}, 1).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> g.tensor("token_embd.weight"));
            assertEquals("m.gguf: tensor 'token_embd.weight': no such tensor in this file", e.getMessage());
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}

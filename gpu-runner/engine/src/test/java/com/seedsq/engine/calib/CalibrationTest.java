package com.seedsq.engine.calib;

import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.testutil.RandomLlama2c;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Calibration on a small random llama2.c model (no shared data needed). */
class CalibrationTest {

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

    private Model randomModel() {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 7);
        return Model.open(f);
    }

    private static int[] stream(int n) {
        int[] ids = new int[n + 1];
        ids[0] = 1;
        for (int i = 1; i <= n; i++) {
            ids[i] = 3 + (i * 17 + i / 5) % 37;
        }
        return ids;
    }

    @Test
    void windowsComeFromTheTailOfTheStream() {
        int[] ids = new int[101];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = 1000 + i;
        }
        CalibrationSpec spec = new CalibrationSpec(3, 11); // 3 x 10 tokens = stream[70..100)
        int[][] w = spec.windows(ids, 1);
        assertEquals(3, w.length);
        assertArrayEquals(new int[]{1, 1071, 1072, 1073, 1074, 1075, 1076, 1077, 1078, 1079, 1080}, w[0]);
        assertEquals(1100, w[2][10]);
        assertEquals(70, spec.firstStreamToken(ids));
        assertEquals(30, spec.tokens());
        assertThrows(IllegalArgumentException.class, () -> new CalibrationSpec(11, 11).windows(ids, 1));
        assertEquals(new CalibrationSpec(4, 256), CalibrationSpec.ofTokens(1100, 256));
    }

    @Test
    void recordsEveryLinearInputAndLeavesLogitsUnchanged() {
        try (Model model = randomModel()) {
            LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
            assertEquals(8, sites.sites().size(), "2 layers x attn_in, wo_in, ffn_in, w2_in");
            assertEquals(14, sites.linears().size(), "7 linears per layer; embedding/LM head are no site");
            assertNull(sites.siteOf("model.embed_tokens.weight"));
            assertEquals(new SiteKey(1, "ffn_in"), sites.siteOf("model.layers.1.mlp.up_proj.weight").key());

            int[] window = {1, 5, 9, 22, 7, 7, 30};
            float[] plain = Transformer.of(model, kernels).forward(Transformer.of(model, kernels).newCache(),
                    window, true);
            CalibrationKernels rec = new CalibrationKernels(kernels, sites);
            Transformer t = Transformer.load(model.family(), model.config(), model.weights(), rec, model.file());
            float[] recorded = t.forward(t.newCache(), window, true);
            assertArrayEquals(plain, recorded, "the recording decorator must not change the computation");
            rec.sequenceDone(window.length);
            ActivationStats stats = rec.stats("", window.length);
            assertEquals(8, stats.absMax().size());
            assertEquals(7, stats.tokens());

            // layer 0's attn_in is RMSNorm(embedding rows): recompute it and compare exactly
            int d = model.config().hiddenSize();
            Matrix embed = Matrix.of(model.weights().tensor("model.embed_tokens.weight"));
            float[] x = new float[window.length * d];
            for (int i = 0; i < window.length; i++) {
                embed.row(window[i], x, i * d);
            }
            float[] h = new float[x.length];
            kernels.rmsnorm(h, x, model.weights().tensor("model.layers.0.input_layernorm.weight").toFloatArray(),
                    window.length, d, model.config().normEps());
            float[] expected = new float[d];
            for (int i = 0; i < h.length; i++) {
                expected[i % d] = Math.max(expected[i % d], Math.abs(h[i]));
            }
            assertArrayEquals(expected, stats.channelAbsMax(0, "attn_in"));
            assertEquals(48, stats.channelAbsMax(0, "w2_in").length);
            float max = 0;
            for (float v : expected) {
                max = Math.max(max, v);
            }
            assertEquals(max, stats.tensorAbsMax(new SiteKey(0, "attn_in")));
        }
    }

    /**
     * The layer-by-layer walk must record exactly what whole-sequence forward passes record: the same arithmetic per
     * sequence, only in another order. Windows of different lengths check that each keeps its own hidden state.
     */
    @Test
    void layerByLayerEqualsSequenceBySequence() {
        try (Model model = randomModel()) {
            int[][] windows = {stream(20), stream(33), java.util.Arrays.copyOf(stream(40), 9)};
            LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
            CalibrationKernels rec = new CalibrationKernels(kernels, sites);
            Transformer t = Transformer.load(model.family(), model.config(), model.weights(), rec, model.file());
            for (int[] w : windows) {
                t.forward(t.newCache(), w, false);
                rec.sequenceDone(w.length);
            }
            ActivationStats whole = rec.stats("", 34);
            List<String> messages = new ArrayList<>();
            ActivationStats layered = Calibrator.run(model, model.weights(), kernels, windows, "",
                    (f, m) -> messages.add(m));
            assertEquals(whole.tokens(), layered.tokens());
            assertEquals(whole.sequences(), layered.sequences());
            assertEquals(whole.absMax().keySet(), layered.absMax().keySet());
            whole.absMax().forEach((k, v) -> assertArrayEquals(v, layered.absMax().get(k), k.toString()));
            assertTrue(messages.stream().anyMatch(m -> m.startsWith("calibrated layer 2/2, sequence 3/3")), messages.toString());
        }
    }

    @Test
    void statisticsRoundTripThroughSafetensorsAndTheCacheReusesThem() throws Exception {
        try (Model model = randomModel()) {
            int[] ids = stream(200);
            CalibrationSpec spec = new CalibrationSpec(4, 32);
            int[][] windows = spec.windows(ids, 1);
            String key = StatsCache.key(StatsCache.hashModel(model.file()), windows, spec.seqLen());
            List<String> messages = new ArrayList<>();
            ActivationStats stats = Calibrator.run(model, model.weights(), kernels, windows, key,
                    (f, m) -> messages.add(f + " " + m));
            assertEquals(4 * 32, stats.tokens());
            assertEquals(4, stats.sequences());
            assertTrue(messages.size() >= 4 && messages.getLast().startsWith("1.0 "), messages.toString());

            StatsCache cache = new StatsCache(tmp.resolve("cache"));
            Path f = cache.put(stats);
            assertTrue(Files.size(f) > 8 * 32 * 4);
            ActivationStats back = cache.find(key).orElseThrow();
            assertEquals(stats.key(), back.key());
            assertEquals(stats.tokens(), back.tokens());
            assertEquals(stats.seqLen(), back.seqLen());
            assertEquals(stats.absMax().keySet(), back.absMax().keySet());
            stats.absMax().forEach((k, v) -> assertArrayEquals(v, back.absMax().get(k), k.toString()));

            // the facade's cached path: the second call loads instead of running the model
            List<String> second = new ArrayList<>();
            ActivationStats again = com.seedsq.engine.smoothquant.SmoothQuant.calibrate(model, ids, 1, spec, cache,
                    (fr, m) -> second.add(m));
            assertTrue(second.stream().anyMatch(m -> m.startsWith("reusing")), second.toString());
            stats.absMax().forEach((k, v) -> assertArrayEquals(v, again.absMax().get(k), k.toString()));

            // another seqLen (or other data, or another model) is another key
            assertNotEquals(key, StatsCache.key(StatsCache.hashModel(model.file()),
                    new CalibrationSpec(8, 16).windows(ids, 1), 16));
            assertTrue(cache.find("0123").isEmpty());
        }
    }
}

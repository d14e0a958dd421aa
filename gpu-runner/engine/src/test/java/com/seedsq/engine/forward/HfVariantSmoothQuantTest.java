package com.seedsq.engine.forward;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.SmoothingGroup;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SmoothQuant on the HF variants whose norms sit differently (the transformers reference checkpoints of
 * {@link HfTransformersReferenceTest}): the family must name the right smoothing sites (a norm whose output is also
 * the residual stream cannot take 1/s, so its sites are explicit input scales), the smoothed FP model must compute
 * the original function, and W8A8 must run and stay near FP.
 */
class HfVariantSmoothQuantTest {

    static VectorKernels kernels;

    @BeforeAll
    static void init() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void done() {
        kernels.close();
    }

    /** Per case: every site and whether it folds into a norm (true) or keeps an explicit input scale (false). */
    static final Map<String, Map<String, Boolean>> SITES = Map.of(
            "bloom-post-ln-residual", Map.of("attn_in", false, "wo_in", false, "ffn_in", false, "w2_in", false),
            "falcon-rw-style", Map.of("attn_in", true, "wo_in", false, "ffn_in", true, "w2_in", false),
            "opt-350m-style", Map.of("attn_in", false, "wo_in", false, "ffn_in", false, "w2_in", false));

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bloom-post-ln-residual", "falcon-rw-style", "opt-350m-style"})
    void smoothQuantKeepsTheFunctionAndQuantizes(String name) {
        try (Model m = Model.open(HfTransformersReferenceTest.root().resolve(name))) {
            Map<String, Boolean> sites = new TreeMap<>();
            for (SmoothingGroup g : m.family().smoothing()) {
                sites.put(g.site(), g.foldable());
            }
            assertEquals(new TreeMap<>(SITES.get(name)), sites, name + ": smoothing sites");

            Random rnd = new Random(9);
            int[][] windows = new int[6][12];
            for (int[] w : windows) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = rnd.nextInt(m.config().vocabSize());
                }
            }
            ActivationStats stats = Calibrator.run(m, kernels, windows, ProgressListener.NONE);
            SiteSelection selection = SiteSelection.defaultFor(m.family());
            SmoothingPlan plan = SmoothQuant.smooth(m, stats, 0.5, selection);
            Set<String> planned = new TreeSet<>();
            for (SiteKey k : plan.factors().keySet()) {
                planned.add(k.site());
                assertEquals(!sites.get(k.site()), plan.explicit().contains(k), name + ": " + k + " explicit");
            }
            Set<String> expected = new TreeSet<>();
            SITES.get(name).forEach((site, foldable) -> {
                if (foldable || selection == SiteSelection.ALL) {
                    expected.add(site);
                }
            });
            assertEquals(expected, planned, name + ": smoothed sites with " + selection);
            assertEquals(m.config().layers() * expected.size(), plan.factors().size());

            int[] window = windows[0];
            Transformer plain = Transformer.of(m, kernels);
            Transformer smoothed = SmoothQuant.smoothedTransformer(m, plan, kernels);
            float[] a = plain.forward(plain.newCache(12), window, true);
            float[] b = smoothed.forward(smoothed.newCache(12), window, true);
            double maxAbs = 0, maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[i]));
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            assertTrue(maxDiff <= 1e-4 * Math.max(1, maxAbs), name + ": smoothed vs original max |Δ| " + maxDiff);
            assertFalse(Arrays.equals(a, b), name + ": smoothing should change float rounding somewhere");

            QuantConfig config = new QuantConfig(QuantLevel.O1, 0.5, Granularity.CHANNEL, selection,
                    QuantConfig.Execution.INT8);
            try (QuantizedModel q = SmoothQuant.quantize(m, stats, config, ProgressListener.NONE)) {
                Transformer t = q.transformer(kernels);
                float[] y = t.forward(t.newCache(12), window, true);
                double dot = 0, na = 0, ny = 0;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(y[i]), name + ": INT8 logit " + i + " not finite");
                    dot += (double) a[i] * y[i];
                    na += (double) a[i] * a[i];
                    ny += (double) y[i] * y[i];
                }
                double cos = dot / Math.sqrt(na * ny);
                assertTrue(cos > 0.98, name + ": INT8 vs FP32 cosine " + cos);
                assertFalse(Arrays.equals(a, y), name + ": INT8 should differ from FP32");
                assertEquals(m.config().layers() * 6, q.linears().size(), name + ": every block linear quantized");
                System.out.printf("%s: sites %s, smoothed FP max |Δ| %.2e, INT8 vs FP32 cosine %.4f%n", name,
                        planned, maxDiff, cos);
            }
        }
    }
}

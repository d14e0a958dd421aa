package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Smoothing: factors against the reference, and the smoothed FP model computing the same function as the original.
 *
 * <p>Tolerance for "the same function": smoothing changes two float32 roundings per term (norm weight / s and
 * W * s), so logits move by a few float32 ulps of the terms that make them up. We bound
 * {@code max |Δ logit| ≤ 1e-4 · max(1, max |logit|)}, far below anything a wrong fold would do (a factor s off at
 * one channel moves logits by O(0.1..1)).
 */
class SmoothingTest {

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

    @Test
    void factorsMatchTheReferenceAndTheSmoothedModelIsEquivalent() {
        ActivationStats stats = ReferenceStats.stories260K();
        try (Model model = Model.open(SharedData.model())) {
            SmoothingPlan plan = SmoothQuant.smooth(model, stats, 0.5, SiteSelection.FOLDABLE);
            assertEquals(10, plan.factors().size(), "attn_in and ffn_in of 5 layers");
            assertTrue(plan.explicit().isEmpty(), "LLaMA's smoothed sites all fold into RMSNorm");
            for (int l = 0; l < 5; l++) {
                for (String site : new String[]{"attn_in", "ffn_in"}) {
                    float[] expected = ReferenceStats.csvRow("smooth_a0.5_L" + l + "_" + site + ".csv");
                    float[] s = plan.factors(new SiteKey(l, site));
                    for (int j = 0; j < s.length; j++) {
                        assertEquals(expected[j], s[j], 1e-5 * Math.abs(expected[j]), "L" + l + " " + site + " " + j);
                    }
                }
            }
            int[] window = Arrays.copyOf(SharedData.ids(SharedData.require(ReferenceStats.DIR + "tinystories_ids.txt")),
                    256);
            double diff = maxLogitDiff(model, plan, window);
            System.out.println("stories260K smoothed (alpha 0.5) vs original: max |delta logit| = " + diff);
        }
    }

    @Test
    void smoothingEverySiteKeepsARandomModelEquivalent() {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 11);
        try (Model model = Model.open(f)) {
            int[] ids = new int[200];
            ids[0] = 1;
            for (int i = 1; i < ids.length; i++) {
                ids[i] = 2 + (i * 13) % 38;
            }
            ActivationStats stats = Calibrator.run(model, kernels, new CalibrationSpec(4, 32).windows(ids, 1),
                    (fr, m) -> { });
            for (SiteSelection sel : new SiteSelection[]{SiteSelection.FOLDABLE, SiteSelection.ALL}) {
                for (double alpha : new double[]{0.3, 0.85}) {
                    SmoothingPlan plan = SmoothQuant.smooth(model, stats, alpha, sel);
                    assertEquals(sel == SiteSelection.ALL ? 8 : 4, plan.factors().size());
                    assertEquals(sel == SiteSelection.ALL ? 4 : 0, plan.explicit().size());
                    maxLogitDiff(model, plan, Arrays.copyOf(ids, 40));
                    SmoothingPlan back = SmoothingPlan.load(plan.save(tmp.resolve("s-" + sel + alpha + ".safetensors")));
                    assertEquals(plan.alpha(), back.alpha());
                    assertEquals(plan.explicit(), back.explicit());
                    assertEquals(plan.alphas(), back.alphas());
                    plan.factors().forEach((k, v) -> assertArrayEquals(v, back.factors(k), k.toString()));
                }
            }
        }
    }

    /** Runs original and smoothed FP32 and asserts the tolerance above; returns max |Δ|. */
    private static double maxLogitDiff(Model model, SmoothingPlan plan, int[] window) {
        Transformer plain = Transformer.of(model, kernels);
        Transformer smoothed = SmoothQuant.smoothedTransformer(model, plan, kernels);
        float[] a = plain.forward(plain.newCache(window.length), window, true);
        float[] b = smoothed.forward(smoothed.newCache(window.length), window, true);
        double maxAbs = 0, maxDiff = 0;
        boolean changed = false;
        for (int i = 0; i < a.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            changed |= a[i] != b[i];
        }
        assertTrue(maxDiff <= 1e-4 * Math.max(1, maxAbs), "max |delta logit| " + maxDiff + " (max |logit| " + maxAbs
                + ")");
        assertTrue(changed || plan.factors().isEmpty(), "smoothing should change float rounding somewhere");
        return maxDiff;
    }
}

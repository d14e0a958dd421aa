package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.testutil.RandomLlama2c;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * α = auto on a random model: LOCAL_MSE picks each site's grid minimum; CALIBRATION_LOSS is never worse than any
 * single α or no smoothing on its probe windows; the report runs with it.
 */
class AlphaSearchTest {

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

    private static double loss(Model model, ActivationStats stats, QuantConfig c, SmoothingPlan plan, int[][] probe) {
        try (QuantizedModel qm = QuantizedModel.prepare(model, stats, c, plan, null, ProgressListener.NONE)) {
            var r = new com.seedsq.engine.eval.Perplexity(qm.transformer(kernels), 1)
                    .evaluateSequences(java.util.Arrays.asList(probe), 64);
            return r.nll() / r.count();
        }
    }

    @Test
    void choosesTheGridMinimumPerSiteAndNeverLosesToAnyFixedAlphaOrToNoSmoothing() {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 21);
        int[] ids = new int[400];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = 2 + (i * 5 + i / 7) % 38;
        }
        try (Model model = Model.open(f)) {
            int[][] windows = new CalibrationSpec(6, 64).windows(ids, 1);
            ActivationStats stats = Calibrator.run(model, kernels, windows, ProgressListener.NONE);
            AlphaSearch.Sample sample = AlphaSearch.sample(model, kernels, windows, 128);
            sample.chunks().values().forEach(c -> assertEquals(128, c.stream().mapToInt(x -> x.rows()).sum()));
            for (QuantLevel level : new QuantLevel[]{QuantLevel.O1, QuantLevel.O2, QuantLevel.O3}) {
                QuantConfig c = new QuantConfig(level, QuantConfig.AUTO, Granularity.TENSOR, SiteSelection.ALL,
                        QuantConfig.Execution.INT8);
                assertTrue(c.autoAlpha());
                List<AlphaSearch.Choice> choices = new ArrayList<>();
                SmoothingPlan plan = AlphaSearch.search(model, stats, sample, c, AlphaSearch.defaultGrid(), kernels,
                        choices, ProgressListener.NONE);
                assertEquals(8, choices.size(), "all sites are candidates with SiteSelection.ALL");
                for (AlphaSearch.Choice ch : choices) {
                    assertEquals(22, ch.grid().size(), "off + 21 alphas");
                    double min = ch.grid().values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
                    assertEquals(min, ch.error(), 0.0, ch.toString());
                    assertTrue(ch.error() <= ch.errorOff());
                    assertEquals(ch.alpha() != null, plan.smooths(ch.site()));
                    if (ch.alpha() != null) {
                        assertEquals(ch.alpha(), plan.alphas().get(ch.site()));
                    }
                }
                assertTrue(Double.isNaN(plan.alpha()));
                // the plan runs, and quantized logits stay finite
                try (QuantizedModel qm = SmoothQuant.quantize(model, stats, plan, c, ProgressListener.NONE)) {
                    var t = qm.transformer(kernels);
                    float[] logits = t.forward(t.newCache(), java.util.Arrays.copyOf(ids, 32), true);
                    for (float v : logits) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
            // the loss objective: never worse than any single alpha (or none) on the probe windows
            int[][] probe = java.util.Arrays.copyOf(windows, 3);
            AlphaSearch.Sample withProbe = AlphaSearch.sample(model, kernels, windows, 128, probe);
            QuantConfig o2 = new QuantConfig(QuantLevel.O2, QuantConfig.AUTO, Granularity.TENSOR,
                    SiteSelection.FOLDABLE, QuantConfig.Execution.FAKE);
            double[] grid = {0, 0.25, 0.5, 0.75, 1};
            List<AlphaSearch.Choice> layerChoices = new ArrayList<>();
            SmoothingPlan auto = AlphaSearch.searchByLoss(model, stats, withProbe, o2, grid, kernels, null,
                    layerChoices, ProgressListener.NONE);
            assertEquals(4, layerChoices.size());
            double autoLoss = loss(model, stats, o2, auto, probe);
            assertEquals(layerChoices.getLast().error(), autoLoss, 1e-12);
            assertTrue(autoLoss <= loss(model, stats, o2, SmoothingPlan.none(), probe) + 1e-12);
            for (double a : grid) {
                SmoothingPlan fixed = SmoothQuant.smooth(model, stats, a, SiteSelection.FOLDABLE);
                assertTrue(autoLoss <= loss(model, stats, o2, fixed, probe) + 1e-12, "alpha " + a);
            }

            SmoothQuant.ReportSpec spec = new SmoothQuant.ReportSpec(new EvalSpec(64, 63), new CalibrationSpec(4, 64),
                    QuantConfig.AUTO, Granularity.TENSOR, SiteSelection.FOLDABLE,
                    List.of(Variant.FP32, Variant.O1), 1, QuantConfig.Execution.INT8);
            SmoothQuantReport r = SmoothQuant.report(model, ids, ids, 1, spec, null, ProgressListener.NONE);
            assertEquals("auto", r.alpha());
            VariantResult o1 = r.variant("o1");
            assertTrue(Double.isFinite(o1.perplexity()));
            assertTrue(o1.alpha() == null || o1.alpha().equals("auto"), o1.toString());
        }
    }
}

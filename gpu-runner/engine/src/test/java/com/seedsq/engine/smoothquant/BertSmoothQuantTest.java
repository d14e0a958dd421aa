package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.testutil.RandomBert;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SmoothQuant on a post-LN encoder: every BERT site has no foldable norm, so smoothing is an explicit per-channel
 * input scale. Runs on a small random BERT whose LayerNorm gains have one outlier channel (x20), a crude stand-in
 * for BERT-base's channels 308/381.
 */
class BertSmoothQuantTest {

    @TempDir
    Path tmp;

    private Path dir;
    private List<MlmSequence> eval;
    private int[][] calib;

    @BeforeEach
    void setUp() {
        dir = new RandomBert(32, 2, 4, 64, 128, "gelu_pytorch_tanh", 13, 20f).write(tmp.resolve("bert"));
        WordPieceTokenizer tok = WordPieceTokenizer.fromDirectory(dir);
        int[] stream = tok.encode(RandomBert.text(2600, 6), false);
        MlmSequences.Specials sp = MlmSequences.Specials.of(tok);
        eval = MlmSequences.evaluation(stream, 4, sp);
        calib = MlmSequences.calibration(stream, 6, sp).toArray(int[][]::new);
    }

    @Test
    void allSitesAreExplicitAndSmoothingKeepsTheFpFunction() {
        try (Model model = Model.open(dir); VectorKernels fp = new VectorKernels(2)) {
            assertEquals(SiteSelection.ALL, SiteSelection.defaultFor(model.family()));
            ActivationStats stats = SmoothQuant.calibrate(model, calib, null, ProgressListener.NONE);
            assertEquals(8, stats.absMax().size(), "4 sites x 2 layers");
            assertEquals(6L * 128, stats.tokens());
            assertTrue(SmoothQuant.smooth(model, stats, 0.5, SiteSelection.FOLDABLE).factors().isEmpty(),
                    "post-LN: nothing folds");
            SmoothingPlan plan = SmoothQuant.smooth(model, stats, 0.5, SiteSelection.ALL);
            assertEquals(8, plan.factors().size());
            assertEquals(plan.factors().keySet(), plan.explicit());
            Transformer base = Transformer.of(model, fp);
            Transformer smoothed = SmoothQuant.smoothedTransformer(model, plan, fp);
            MlmSequence s = eval.getFirst();
            float[] a = base.forward(base.newCache(128), s.masked(), s.maskPositions());
            float[] b = smoothed.forward(smoothed.newCache(128), s.masked(), s.maskPositions());
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
            }
            // X·diag(1/s) · (W·diag(s))ᵀ = X·Wᵀ up to float rounding of the two scalings
            assertTrue(worst < 1e-4, "smoothed FP model differs from the original by " + worst);
            SmoothingPlan some = SmoothQuant.smooth(model, stats, 0.5, SiteSelection.only(Set.of("ffn_in")));
            assertEquals(2, some.factors().size());
            assertTrue(some.factors().keySet().stream().allMatch(k -> k.site().equals("ffn_in")));
        }
    }

    /**
     * With the outlier channel, naive W8A8 (one scale for the whole sequence) is far from FP; smoothing at every site
     * (explicit scales) with per-token activations brings the masked-position logits much closer. The measure is the
     * NLL gap to FP over the masked positions, which unlike accuracy does not saturate on a random model.
     */
    @Test
    void smoothingRecoversWhatNaiveQuantizationLoses() {
        try (Model model = Model.open(dir)) {
            ActivationStats stats = SmoothQuant.calibrate(model, calib, null, ProgressListener.NONE);
            QuantConfig base = new QuantConfig(QuantLevel.O1, 0.5, Granularity.CHANNEL, SiteSelection.ALL,
                    QuantConfig.Execution.INT8);
            double fp = SmoothQuant.evaluateMlm(model, eval, Variant.FP32, base, null, null, ProgressListener.NONE).nll();
            VariantResult naive = SmoothQuant.evaluateMlm(model, eval, Variant.NAIVE, base, stats, null,
                    ProgressListener.NONE);
            VariantResult o1 = SmoothQuant.evaluateMlm(model, eval, Variant.O1, base, stats, null,
                    ProgressListener.NONE);
            assertEquals("mlm", o1.metric());
            assertEquals(8, o1.alphas().size());
            double gapNaive = Math.abs(naive.nll() - fp), gapO1 = Math.abs(o1.nll() - fp);
            assertTrue(gapO1 < 0.5 * gapNaive, "NLL gap to FP: naive " + gapNaive + ", O1 smoothed " + gapO1);
        }
    }

    /** α = auto on an encoder: the per-site local-error search, with "off" among the options. */
    @Test
    void autoSearchesEverySiteWithOffAsAnOption() {
        try (Model model = Model.open(dir)) {
            ActivationStats stats = SmoothQuant.calibrate(model, calib, null, ProgressListener.NONE);
            AlphaSearch.Sample sample = SmoothQuant.sampleActivations(model, calib, 256);
            QuantConfig c = new QuantConfig(QuantLevel.O2, QuantConfig.AUTO, Granularity.TENSOR, SiteSelection.ALL,
                    QuantConfig.Execution.INT8);
            List<AlphaSearch.Choice> choices = new ArrayList<>();
            SmoothingPlan plan = SmoothQuant.plan(model, stats, sample, c, choices, ProgressListener.NONE);
            assertEquals(8, choices.size());
            for (AlphaSearch.Choice ch : choices) {
                assertTrue(ch.grid().containsKey("off") && ch.grid().containsKey("0.0") && ch.grid().containsKey("0.5"));
                assertTrue(ch.error() <= ch.errorOff() && ch.error() <= ch.grid().get("0.5"), ch.toString());
                assertEquals(ch.alpha() != null, plan.smooths(ch.site()), ch.toString());
            }
            assertEquals(plan.factors().keySet(), plan.explicit());
        }
    }
}

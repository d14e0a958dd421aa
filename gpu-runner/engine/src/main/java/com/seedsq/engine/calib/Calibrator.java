package com.seedsq.engine.calib;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.model.Model;

/**
 * Runs calibration windows through the FP model and collects {@link ActivationStats}: the per-channel abs-max of
 * every linear input over all calibration tokens. Only the last row's logits are computed (nobody needs them).
 */
public final class Calibrator {

    private Calibrator() {
    }

    /**
     * @param weights the weights to calibrate (normally {@code model.weights()}; an overlay works too)
     * @param kernels the FP kernels to run with (not closed here)
     * @param key     cache key recorded in the result ("" if none)
     */
    public static ActivationStats run(Model model, WeightSource weights, Kernels kernels, int[][] windows, String key,
                                      ProgressListener progress) {
        LinearSites sites = LinearSites.of(model.family(), model.config(), weights);
        CalibrationKernels rec = new CalibrationKernels(kernels, sites);
        Transformer t = Transformer.load(model.family(), model.config(), weights, rec, model.file());
        int seqLen = 0;
        for (int[] w : windows) {
            seqLen = Math.max(seqLen, w.length);
        }
        KvCache cache = t.newCache(seqLen);
        long t0 = System.nanoTime();
        progress.progress(0, "calibrating on " + windows.length + " sequences of " + seqLen + " tokens, "
                + sites.sites().size() + " sites");
        for (int k = 0; k < windows.length; k++) {
            cache.clear();
            t.forward(cache, windows[k], false);
            rec.sequenceDone(windows[k].length);
            double s = (System.nanoTime() - t0) / 1e9;
            progress.progress((k + 1) / (double) windows.length, String.format(
                    "calibration sequence %d/%d (%.1f s)", k + 1, windows.length, s));
        }
        ActivationStats stats = rec.stats(key, seqLen);
        if (stats.absMax().size() != sites.sites().size()) {
            throw new IllegalStateException("calibration saw " + stats.absMax().size() + " of " + sites.sites().size()
                    + " linear-input sites: the forward pass did not call every linear through the kernels");
        }
        return stats;
    }

    public static ActivationStats run(Model model, Kernels kernels, int[][] windows, ProgressListener progress) {
        return run(model, model.weights(), kernels, windows, "", progress);
    }
}

package com.seedsq.engine.calib;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.model.Model;

/**
 * Runs calibration windows through the FP model and collects {@link ActivationStats}: the per-channel abs-max of
 * every linear input over all calibration tokens.
 *
 * <p>The walk is layer by layer: every sequence through layer 0, then every sequence through layer 1, and so on,
 * holding the hidden state of each sequence in between. So the weights are touched one layer at a time (memory-mapped
 * pages of earlier layers can be dropped: a model larger than RAM calibrates), the memory that grows with the
 * calibration set is {@code sequences × length × hidden} floats, and the final norm and LM head, which no statistic
 * needs, are never run. Each sequence's arithmetic is the same as a plain forward pass, so the statistics are too.
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
        int layers = model.config().layers();
        KvCache cache = t.newCache(seqLen);
        long t0 = System.nanoTime();
        progress.progress(0, "calibrating layer by layer: " + windows.length + " sequences of " + seqLen
                + " tokens, " + layers + " layers, " + sites.sites().size() + " sites");
        float[][] hidden = new float[windows.length][];
        for (int k = 0; k < windows.length; k++) {
            hidden[k] = t.embed(windows[k], 0);
        }
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < windows.length; k++) {
                cache.clear();
                t.layer(l, cache, hidden[k], windows[k].length, 0);
                if (l == layers - 1) {
                    rec.sequenceDone(windows[k].length); // counts each sequence once
                }
                double s = (System.nanoTime() - t0) / 1e9;
                progress.progress((l * (double) windows.length + k + 1) / ((double) layers * windows.length),
                        String.format("calibrated layer %d/%d, sequence %d/%d (%.1f s)", l + 1, layers, k + 1,
                                windows.length, s));
            }
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

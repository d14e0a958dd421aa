package com.seedsq.engine.calib;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;

import java.util.Map;
import java.util.TreeMap;

/**
 * Calibration as a kernel decorator: every linear of the forward pass calls {@link #matmul} with its weight's tensor
 * name, so recording the per-input-channel abs-max of {@code x} there observes every linear input without touching
 * the forward pass. Linears that share an input (q/k/v, gate/up) see the same array; it is scanned once.
 *
 * <p>Single-threaded use, as the forward pass calls matmul from one thread (the base kernel may parallelize inside).
 */
public final class CalibrationKernels extends ForwardingKernels {

    private final LinearSites sites;
    private final Map<SiteKey, float[]> absMax = new TreeMap<>();
    private final Map<SiteKey, float[]> lastInput = new java.util.HashMap<>();
    private long tokens;
    private int sequences;

    public CalibrationKernels(Kernels delegate, LinearSites sites) {
        super(delegate);
        this.sites = sites;
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        LinearSites.Site site = sites.siteOf(w.name());
        if (site != null && lastInput.get(site.key()) != x) {
            lastInput.put(site.key(), x);
            record(site.key(), x, m, w.cols());
        }
        delegate.matmul(x, m, w, out);
    }

    private void record(SiteKey key, float[] x, int m, int cols) {
        float[] a = absMax.computeIfAbsent(key, k -> new float[cols]);
        if (a.length != cols) {
            throw new IllegalStateException(key + ": input width changed from " + a.length + " to " + cols);
        }
        for (int r = 0; r < m; r++) {
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                float v = Math.abs(x[o + c]);
                if (v > a[c]) {
                    a[c] = v;
                }
            }
        }
    }

    /** Marks the end of one calibration sequence of {@code length} tokens. */
    public void sequenceDone(int length) {
        tokens += length;
        sequences++;
        lastInput.clear(); // release the last activations
    }

    /** A snapshot of what has been recorded so far. */
    public ActivationStats stats(String key, int seqLen) {
        Map<SiteKey, float[]> copy = new TreeMap<>();
        absMax.forEach((k, v) -> copy.put(k, v.clone()));
        return new ActivationStats(key, tokens, sequences, seqLen, copy);
    }
}

package com.seedsq.engine.calib;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps copies of linear inputs, per site, up to a row budget per site: the sample on which α search compares
 * quantized and FP outputs. Each matmul call's input is one chunk (a whole window in prefill), so per-tensor dynamic
 * scales can be reproduced per chunk. Single-threaded, like {@link CalibrationKernels}.
 */
public final class ActivationSampler extends ForwardingKernels {

    /** One recorded input: {@code rows} rows of {@code cols} values. */
    public record Chunk(float[] x, int rows, int cols) {
    }

    private final LinearSites sites;
    private final int maxRowsPerSite;
    private final Map<SiteKey, List<Chunk>> chunks = new HashMap<>();
    private final Map<SiteKey, Integer> rows = new HashMap<>();
    private final Map<SiteKey, float[]> last = new HashMap<>();

    public ActivationSampler(Kernels delegate, LinearSites sites, int maxRowsPerSite) {
        super(delegate);
        this.sites = sites;
        this.maxRowsPerSite = maxRowsPerSite;
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        LinearSites.Site site = sites.siteOf(w.name());
        if (site != null && last.get(site.key()) != x) {
            last.put(site.key(), x);
            int have = rows.getOrDefault(site.key(), 0);
            int take = Math.min(m, maxRowsPerSite - have);
            if (take > 0) {
                chunks.computeIfAbsent(site.key(), k -> new ArrayList<>())
                        .add(new Chunk(java.util.Arrays.copyOf(x, take * w.cols()), take, w.cols()));
                rows.put(site.key(), have + take);
            }
        }
        delegate.matmul(x, m, w, out);
    }

    /** Call between sequences to drop references to the last activations. */
    public void sequenceDone() {
        last.clear();
    }

    public Map<SiteKey, List<Chunk>> chunks() {
        return chunks;
    }
}

package com.seedsq.engine.smoothquant;

import com.seedsq.engine.quant.Granularity;

/**
 * Activation quantization levels. O1–O3 follow the SmoothQuant paper; weights are per-tensor in the paper and may
 * be per-channel here ({@link QuantConfig#weights()}).
 */
public enum QuantLevel {
    /** Baseline W8A8: per-tensor weights, per-tensor dynamic activations, no smoothing. */
    NAIVE(Granularity.TENSOR, false, false),
    /** Per-token dynamic activation scales. */
    O1(Granularity.TOKEN, false, true),
    /** One dynamic scale per tensor, i.e. per sequence (window) in prefill; per token when decoding one token. */
    O2(Granularity.TENSOR, false, true),
    /** One static scale per site from calibration: {@code max_j(absmax_j / s_j) / 127}. */
    O3(Granularity.TENSOR, true, true);

    private final Granularity activations;
    private final boolean staticScale;
    private final boolean smoothed;

    QuantLevel(Granularity activations, boolean staticScale, boolean smoothed) {
        this.activations = activations;
        this.staticScale = staticScale;
        this.smoothed = smoothed;
    }

    public Granularity activations() {
        return activations;
    }

    public boolean staticScale() {
        return staticScale;
    }

    public boolean smoothed() {
        return smoothed;
    }

    public static QuantLevel parse(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    }
}

package com.seedsq.engine.smoothquant;

import com.seedsq.engine.quant.Granularity;

/**
 * How to quantize.
 *
 * @param level     activation level (NAIVE, O1, O2, O3)
 * @param alpha     migration strength for smoothing (ignored by NAIVE), or {@link #AUTO} to search it per site
 * @param weights   weight scales per TENSOR (the paper) or per CHANNEL; NAIVE is always per tensor
 * @param sites     which sites to smooth (default: the norm-fed ones, as the paper)
 * @param execution real INT8 GEMM, or fake quantization (quantize, dequantize, FP32 matmul)
 * @param autoObjective what α = auto minimises (default: the calibration loss for decoders)
 * @param int8Head  also run the LM head (the classifier, the tied embedding matrix where tied) in W8A8: weights per
 *                  the {@code weights} granularity, activations per token, dynamic at every level (no calibration
 *                  site feeds it), never smoothed. Off by default: the head stays FP, as in the paper. Embedding
 *                  lookups stay FP either way.
 */
public record QuantConfig(QuantLevel level, double alpha, Granularity weights, SiteSelection sites,
                          Execution execution, AlphaSearch.Objective autoObjective, boolean int8Head) {

    public enum Execution {
        /** INT8 × INT8 → INT32 GEMM ({@code kernel.int8}), one dequantization per output. */
        INT8,
        /** Dequantized codes in FP32 through the FP kernels: the accuracy-study path, same codes and scales. */
        FAKE
    }

    /** α = auto: chosen per site by {@link AlphaSearch}. */
    public static final double AUTO = Double.NaN;

    public QuantConfig {
        if (weights == Granularity.TOKEN) {
            throw new IllegalArgumentException("weights are quantized per tensor or per channel");
        }
        if (!Double.isNaN(alpha) && !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must lie in [0, 1], got " + alpha);
        }
        if (autoObjective == null) {
            autoObjective = AlphaSearch.Objective.CALIBRATION_LOSS;
        }
        if (level == QuantLevel.NAIVE) {
            weights = Granularity.TENSOR;
            sites = SiteSelection.NONE;
        }
    }

    public QuantConfig(QuantLevel level, double alpha, Granularity weights, SiteSelection sites, Execution execution) {
        this(level, alpha, weights, sites, execution, AlphaSearch.Objective.CALIBRATION_LOSS);
    }

    public QuantConfig(QuantLevel level, double alpha, Granularity weights, SiteSelection sites, Execution execution,
                       AlphaSearch.Objective autoObjective) {
        this(level, alpha, weights, sites, execution, autoObjective, false);
    }

    /** The same with the LM head in INT8 too (or back in FP). */
    public QuantConfig withInt8Head(boolean on) {
        return new QuantConfig(level, alpha, weights, sites, execution, autoObjective, on);
    }

    public static QuantConfig of(QuantLevel level, double alpha, Granularity weights) {
        return new QuantConfig(level, alpha, weights, SiteSelection.FOLDABLE, Execution.INT8);
    }

    public boolean autoAlpha() {
        return Double.isNaN(alpha) && level != QuantLevel.NAIVE;
    }

    /** "0.5", "auto", or null when nothing is smoothed. */
    public String alphaText() {
        return level == QuantLevel.NAIVE || sites == SiteSelection.NONE ? null
                : autoAlpha() ? "auto" : Double.toString(alpha);
    }

    public static QuantConfig naive() {
        return of(QuantLevel.NAIVE, 0, Granularity.TENSOR);
    }

    public QuantConfig withLevel(QuantLevel l) {
        return new QuantConfig(l, alpha, weights, l == QuantLevel.NAIVE ? SiteSelection.NONE
                : sites == SiteSelection.NONE ? SiteSelection.FOLDABLE : sites, execution, autoObjective, int8Head);
    }

    public QuantConfig withExecution(Execution e) {
        return new QuantConfig(level, alpha, weights, sites, e, autoObjective, int8Head);
    }

    public QuantConfig withSites(SiteSelection s) {
        return new QuantConfig(level, alpha, weights, s, execution, autoObjective, int8Head);
    }

    public QuantConfig withAutoObjective(AlphaSearch.Objective o) {
        return new QuantConfig(level, alpha, weights, sites, execution, o, int8Head);
    }
}

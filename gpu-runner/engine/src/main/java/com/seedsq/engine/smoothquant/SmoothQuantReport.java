package com.seedsq.engine.smoothquant;

import java.util.List;

/**
 * The accuracy part of the SmoothQuant report (the JSON the service returns), as plain data.
 *
 * @param model            model file name
 * @param family           architecture description used
 * @param protocol         evaluation protocol, in words, with the token counts
 * @param evalSeqLen       evaluation window length
 * @param evalTokens       scored tokens per variant
 * @param calibSequences   calibration windows (from the tail of the calibration text)
 * @param calibSeqLen      calibration window length
 * @param calibTokens      calibration tokens, BOS included
 * @param calibKey         cache key of the statistics
 * @param alpha            migration strength of the smoothed variants ("0.5" or "auto")
 * @param weights          weight granularity of O1–O3 ("tensor" or "channel")
 * @param sites            which sites were smoothed
 * @param variants         one row per evaluated variant
 * @param atlas            per-site outlier atlas (before/after smoothing with {@code alpha})
 * @param errors           per-linear relative output MSE of the first quantized level evaluated
 * @param errorLevel       which level {@code errors} is for
 * @param fp32Bytes        model bytes as loaded
 * @param int8Bytes        bytes with INT8 block linears (codes + scales)
 * @param int8Kernel       INT8 GEMM that ran
 * @param metric           "perplexity" or "mlm" (masked LM: rows carry accuracy and pseudo-perplexity)
 */
public record SmoothQuantReport(String model, String family, String protocol, int evalSeqLen, long evalTokens,
                                int calibSequences, int calibSeqLen, long calibTokens, String calibKey, String alpha,
                                String weights, String sites, List<VariantResult> variants, List<SiteAtlas> atlas,
                                List<LinearError> errors, String errorLevel, long fp32Bytes, long int8Bytes,
                                String int8Kernel, String metric) {

    /** The variant row with this id (fp32, naive, o1, ...), or null. */
    public VariantResult variant(String id) {
        return variants.stream().filter(v -> v.variant().equals(id)).findFirst().orElse(null);
    }

    /** A fixed-width text table of the variants, for logs and the CLI. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        boolean mlm = "mlm".equals(metric);
        sb.append(String.format("%-7s %-6s %-8s %-7s %s %12s %8s %8s  %s%n", "variant", "alpha", "weights", "acts",
                mlm ? "accuracy" : "", mlm ? "pseudo-ppl" : "perplexity", mlm ? "masked" : "tokens", "seconds",
                "kernel"));
        for (VariantResult v : variants) {
            sb.append(String.format("%-7s %-6s %-8s %-7s %s %12.4f %8d %8.1f  %s%n", v.variant(),
                    v.alpha() == null ? "-" : v.alpha(), v.weights() == null ? "-" : v.weights(),
                    v.activations() == null ? "-" : v.activations(),
                    mlm && v.accuracy() != null ? String.format("%8.4f", v.accuracy()) : "", v.perplexity(),
                    v.tokens(), v.seconds(), v.kernel()));
        }
        return sb.toString();
    }
}

package com.seedsq.engine.smoothquant;

/**
 * One row of the accuracy table.
 *
 * @param variant    fp32, fp16, naive, o1, o2, o3
 * @param alpha      migration strength ("0.5"), "auto" (per site, see {@code alphas}), or null when nothing is
 *                   smoothed
 * @param alphas     α per smoothed site (site → α; sites left unsmoothed are absent), or null for FP variants
 * @param weights    weight granularity ("tensor"/"channel"), or null for FP variants
 * @param activations activation quantization ("token", "tensor", "static"), or null for FP variants
 * @param perplexity {@code exp(nll / tokens)}
 * @param nll        summed negative log-likelihood (nats)
 * @param tokens     scored tokens
 * @param windows    evaluated windows
 * @param seconds    wall time of the evaluation
 * @param kernel     the linear kernel that ran ("fp32", "native-avx512-vnni", "java-vector", "fake-quant", ...)
 * @param metric     "perplexity" (next-token, {@code tokens} scored in {@code windows}) or "mlm" (masked LM:
 *                   {@code perplexity} is the pseudo-perplexity over {@code tokens} masked positions of
 *                   {@code windows} sequences)
 * @param accuracy   masked-LM top-1 accuracy, or null for perplexity
 */
public record VariantResult(String variant, String alpha, String weights, String activations, double perplexity,
                            double nll, long tokens, int windows, double seconds, String kernel,
                            java.util.Map<String, Double> alphas, String metric, Double accuracy) {

    /** A perplexity row. */
    public VariantResult(String variant, String alpha, String weights, String activations, double perplexity,
                         double nll, long tokens, int windows, double seconds, String kernel,
                         java.util.Map<String, Double> alphas) {
        this(variant, alpha, weights, activations, perplexity, nll, tokens, windows, seconds, kernel, alphas,
                "perplexity", null);
    }
}

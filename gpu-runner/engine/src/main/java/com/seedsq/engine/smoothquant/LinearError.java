package com.seedsq.engine.smoothquant;

/**
 * Quantization error of one linear: {@code Σ(y_int8 − y_fp)² / Σ y_fp²} over the probe tokens, where both outputs
 * are computed from the same input (the quantized model's own activations), so it isolates this layer's error.
 */
public record LinearError(String tensor, String site, double relativeMse) {
}

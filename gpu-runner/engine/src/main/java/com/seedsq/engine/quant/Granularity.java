package com.seedsq.engine.quant;

/**
 * How many scales a quantized matrix carries. The names follow compressed-tensors' {@code strategy} field, so that
 * export can write them as they are.
 */
public enum Granularity {
    /** One scale for the whole matrix: weights per-tensor, or activations per-tensor (dynamic or static). */
    TENSOR,
    /** One scale per row of a weight W[out, in], i.e. per output channel. */
    CHANNEL,
    /** One scale per row of an activation X[tokens, in], i.e. per token. */
    TOKEN;

    /** Whether scale i belongs to row i (otherwise scale 0 serves every row). */
    public boolean perRow() {
        return this != TENSOR;
    }

    public String strategy() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

package com.seedsq.engine.model;

import java.util.List;

/**
 * One SmoothQuant site: the linears that read the same activation, and the norm that produces it. With a norm,
 * {@code 1/s} folds into the norm's weight (and bias) and {@code s} into the linears' input columns. Without one
 * ({@code norm == null}: the inputs of o_proj/down_proj, or anything in a post-LN model), {@code 1/s} stays an
 * explicit per-channel scale applied where the activation is quantized.
 */
public record SmoothingGroup(String site, TensorRole norm, List<TensorRole> linears) {

    public SmoothingGroup {
        linears = List.copyOf(linears);
        if (linears.isEmpty()) {
            throw new IllegalArgumentException("smoothing site " + site + " feeds no linear");
        }
    }

    public boolean foldable() {
        return norm != null;
    }
}

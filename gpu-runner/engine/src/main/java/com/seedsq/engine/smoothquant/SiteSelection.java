package com.seedsq.engine.smoothquant;

import com.seedsq.engine.model.SmoothingGroup;

/** Which linear-input sites get smoothed. */
public enum SiteSelection {
    /** None: plain quantization (the naive baseline). */
    NONE,
    /** The paper's choice: only sites a norm feeds, where 1/s folds into the norm at no cost (LLaMA attn_in, ffn_in). */
    FOLDABLE,
    /** Also the sites with no norm (o_proj, down_proj inputs): 1/s stays an explicit input scale in the quantizer. */
    ALL;

    public boolean includes(SmoothingGroup g) {
        return switch (this) {
            case NONE -> false;
            case FOLDABLE -> g.foldable();
            case ALL -> true;
        };
    }
}

package com.seedsq.engine.model;

/**
 * Multi-head, grouped-query or multi-query attention. It follows from the head counts of a config, not from the
 * family (LLaMA-2 7B is MHA, 70B is GQA), so it is computed rather than declared.
 */
public enum AttentionKind {
    MHA, GQA, MQA;

    public static AttentionKind of(int heads, int kvHeads) {
        if (kvHeads == heads) {
            return MHA;
        }
        return kvHeads == 1 ? MQA : GQA;
    }
}

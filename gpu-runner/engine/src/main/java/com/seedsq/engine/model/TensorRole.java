package com.seedsq.engine.model;

/**
 * What a tensor does in the network, independent of how a family names it. Per-layer roles are named with a
 * {@code {l}} placeholder in {@link ModelFamily#tensorNames()}.
 */
public enum TensorRole {
    EMBED(false), POSITION_EMBED(false),
    ATTN_NORM(true), ATTN_NORM_BIAS(true),
    Q(true), Q_BIAS(true), K(true), K_BIAS(true), V(true), V_BIAS(true), O(true), O_BIAS(true),
    FFN_NORM(true), FFN_NORM_BIAS(true),
    /** SwiGLU's gated branch (llama2.c w1). */
    GATE(true),
    /** SwiGLU's linear branch (w3), or the first linear of a plain MLP (fc1). */
    UP(true), UP_BIAS(true),
    /** The MLP's output linear (w2, fc2). */
    DOWN(true), DOWN_BIAS(true),
    FINAL_NORM(false), FINAL_NORM_BIAS(false),
    /** The classifier; absent when it is tied to {@link #EMBED}. */
    LM_HEAD(false),
    /** Token-type (segment) embeddings, BERT; the forward pass adds row 0 (a single segment). */
    TOKEN_TYPE_EMBED(false),
    /** A LayerNorm right after the (summed) embeddings: BERT's embeddings.LayerNorm, BLOOM's word_embeddings_layernorm. */
    EMBED_NORM(false), EMBED_NORM_BIAS(false),
    /** The prediction head's transform before the classifier (BERT MLM: dense, activation, then HEAD_NORM). */
    HEAD_TRANSFORM(false), HEAD_TRANSFORM_BIAS(false), HEAD_NORM(false), HEAD_NORM_BIAS(false),
    /** The classifier's output bias (BERT's {@code cls.predictions.bias}). */
    LM_HEAD_BIAS(false),
    /**
     * OPT-350m's projections between a narrower word embedding and the hidden size: PROJECT_IN [hidden, embed]
     * after the embedding lookup, PROJECT_OUT [embed, hidden] before the classifier (which is [vocab, embed]).
     */
    PROJECT_IN(false), PROJECT_OUT(false),
    /** Mixture of experts: the router [experts, d] and each expert's SwiGLU; expert names contain {@code {e}}. */
    ROUTER(true), EXPERT_GATE(true), EXPERT_UP(true), EXPERT_DOWN(true);

    private final boolean perLayer;

    TensorRole(boolean perLayer) {
        this.perLayer = perLayer;
    }

    public boolean perLayer() {
        return perLayer;
    }

    /** One tensor per expert of a layer ({@code {e}} in the name). */
    public boolean perExpert() {
        return this == EXPERT_GATE || this == EXPERT_UP || this == EXPERT_DOWN;
    }
}

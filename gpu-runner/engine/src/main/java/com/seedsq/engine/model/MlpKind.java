package com.seedsq.engine.model;

/**
 * The feed-forward block. SWIGLU: {@code down(silu(gate(x)) * up(x))} (LLaMA). The others are
 * {@code down(act(up(x)))}: GELU (erf form; OPT uses RELU), GELU_TANH (the tanh approximation: GPT-2, BERT's TF graph).
 * MOE: a router picks experts, each a SwiGLU (Mixtral); described here, not yet executed.
 */
public enum MlpKind { SWIGLU, GELU, GELU_TANH, RELU, MOE }

package com.seedsq.engine.model;

/**
 * The feed-forward block. SWIGLU: {@code down(silu(gate(x)) * up(x))} (LLaMA). The others are
 * {@code down(act(up(x)))}: GELU (erf form; OPT uses RELU), GELU_TANH (the tanh approximation: GPT-2, BERT's TF graph).
 * MOE: a router picks the top {@code expertsPerToken} experts per token, each a SwiGLU, weighted by the softmax
 * over their router logits (Mixtral).
 */
public enum MlpKind { SWIGLU, GELU, GELU_TANH, RELU, MOE }

package com.seedsq.engine.model;

/**
 * Where the block's norms sit. PRE: {@code x + f(norm(x))} (LLaMA, OPT, GPT-2): the norm feeds the linears, so
 * SmoothQuant can fold its scale into the norm. POST: {@code norm(x + f(x))} (BERT, OPT-350m): nothing foldable feeds
 * the linears, so smoothing keeps an explicit per-channel input scale. PRE_NORMED_RESIDUAL: {@code n + f(n)} with
 * {@code n = norm(x)} (BLOOM's {@code apply_residual_connection_post_layernorm}): the norm feeds the linears but is
 * also the residual, so as with POST its scale cannot fold and smoothing keeps explicit input scales.
 */
public enum NormPlacement { PRE, POST, PRE_NORMED_RESIDUAL }

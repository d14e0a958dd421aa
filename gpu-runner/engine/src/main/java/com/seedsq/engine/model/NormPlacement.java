package com.seedsq.engine.model;

/**
 * Where the block's norms sit. PRE: {@code x + f(norm(x))} (LLaMA, OPT, GPT-2): the norm feeds the linears, so
 * SmoothQuant can fold its scale into the norm. POST: {@code norm(x + f(x))} (BERT): nothing foldable feeds the
 * linears, so smoothing keeps an explicit per-channel input scale.
 */
public enum NormPlacement { PRE, POST }

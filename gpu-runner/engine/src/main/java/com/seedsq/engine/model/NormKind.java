package com.seedsq.engine.model;

/** RMSNorm ({@code x / rms(x) * g}, LLaMA) or LayerNorm ({@code (x - mean) / std * g + b}, OPT, BLOOM, GPT-2, BERT). */
public enum NormKind { RMS, LAYER }

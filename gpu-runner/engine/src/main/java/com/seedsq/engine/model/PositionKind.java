package com.seedsq.engine.model;

/**
 * How positions enter the model. The two RoPE layouts rotate different pairs of a head's dimensions and are not
 * interchangeable without permuting the q/k weight rows: llama2.c and GGUF rotate (2i, 2i+1), Hugging Face LLaMA
 * rotates (i, i + d/2).
 */
public enum PositionKind { ROPE_INTERLEAVED, ROPE_HALVES, LEARNED, ALIBI }

package com.seedsq.engine.model;

/**
 * How positions enter the model. The two RoPE layouts rotate different pairs of a head's dimensions and are not
 * interchangeable without permuting the q/k weight rows: llama2.c and GGUF rotate (2i, 2i+1), Hugging Face LLaMA
 * rotates (i, i + d/2). ALiBi (BLOOM) adds {@code slope * key position} to the already scaled scores;
 * ALIBI_FALCON (Falcon-RW) uses the same slopes but, as HF's modeling_falcon, rounds them and the bias
 * {@code slope * key position} to bfloat16 and adds the bias before the {@code 1/sqrt(head_dim)} scale, so the bias
 * is scaled too.
 */
public enum PositionKind { ROPE_INTERLEAVED, ROPE_HALVES, LEARNED, ALIBI, ALIBI_FALCON }

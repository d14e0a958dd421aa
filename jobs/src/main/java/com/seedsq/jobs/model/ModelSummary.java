package com.seedsq.jobs.model;

/**
 * What the engine found in an uploaded model. {@code checkpoint} is the file (or directory, for Hugging Face) the
 * engine opens; {@code tokenizer} the separate tokenizer file of llama2.c models, or null.
 */
public record ModelSummary(String format, String architecture, long parameters, int layers, int hiddenSize,
                           int vocabSize, int maxSeqLen, String dtype, String checkpoint, String tokenizer) {
}

/**
 * GGUF (llama.cpp) v2/v3: {@link com.seedsq.engine.format.gguf.GgufFile} maps and validates the file, reports
 * shapes outermost-first, and exposes metadata and the tokenizer vocabulary
 * ({@link com.seedsq.engine.format.gguf.GgufTokenizerData}, {@link com.seedsq.engine.format.gguf.GgufSentencePiece}).
 * Only unquantized tensors are served; quantized types are refused by name. {@code Model.open} runs
 * {@code general.architecture = llama} files as the {@code gguf-llama} family with this embedded tokenizer.
 */
package com.seedsq.engine.format.gguf;

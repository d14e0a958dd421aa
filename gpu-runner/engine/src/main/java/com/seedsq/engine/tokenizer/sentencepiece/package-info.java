/**
 * Sentencepiece BPE vocabularies in llama2.c's {@code tokenizer.bin} format, and llama2.c's exact encode/decode:
 * dummy-prefix space, byte fallback ({@code <0xXX>} = byte + 3), best-score pair merging, BOS 1 / EOS 2.
 */
package com.seedsq.engine.tokenizer.sentencepiece;

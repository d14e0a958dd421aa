/** Hugging Face {@code tokenizer.json} through DJL's bundled Rust tokenizers, offline and CPU-only. */
package com.seedsq.engine.tokenizer.hf;

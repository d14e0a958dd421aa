/**
 * llama2.c v0 checkpoints ({@code run.c}'s format): a 7-int header, then float32 arrays stacked over layers,
 * memory-mapped and exposed under Hugging Face LLaMA tensor names. Note the RoPE layout (interleaved pairs), which
 * the {@code llama2c} family in {@link com.seedsq.engine.model.Families} records.
 */
package com.seedsq.engine.format.llama2c;

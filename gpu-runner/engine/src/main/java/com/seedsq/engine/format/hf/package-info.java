/**
 * Hugging Face model directories: {@link com.seedsq.engine.format.hf.HfCheckpoint} (config.json plus single or
 * sharded safetensors as one weight source) and {@link com.seedsq.engine.format.hf.NonFiniteScan}, the up-front
 * NaN/Inf check.
 */
package com.seedsq.engine.format.hf;

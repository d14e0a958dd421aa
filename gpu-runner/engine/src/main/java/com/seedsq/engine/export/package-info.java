/**
 * W8A8 export and import: {@link com.seedsq.engine.export.Int8Export} writes a
 * {@link com.seedsq.engine.smoothquant.QuantizedModel} as a Hugging Face directory in llm-compressor's
 * compressed-tensors {@code int-quantized} layout (what vLLM loads for W8A8), and
 * {@link com.seedsq.engine.export.Int8Import} loads it back into an {@link com.seedsq.engine.export.ImportedModel}
 * that runs the same INT8 kernels on the stored codes and scales, reproducing the in-memory logits bit for bit.
 */
package com.seedsq.engine.export;

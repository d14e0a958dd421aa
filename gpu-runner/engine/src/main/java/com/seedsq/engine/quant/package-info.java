/**
 * SmoothQuant's arithmetic, independent of any model: symmetric INT8 quantization with the reference's float32
 * conventions ({@link com.seedsq.engine.quant.Int8Quantizer}, {@link com.seedsq.engine.quant.QuantizedMatrix}), the
 * smoothing factors ({@link com.seedsq.engine.quant.SmoothingFactors}) and how they are folded into a model
 * ({@link com.seedsq.engine.quant.SmoothingFold}).
 */
package com.seedsq.engine.quant;

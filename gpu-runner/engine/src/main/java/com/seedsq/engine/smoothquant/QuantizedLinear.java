package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.int8.Int8Weights;

/**
 * One linear layer prepared for W8A8: its INT8 weights (of the smoothed weight when smoothing applies), how its
 * input is quantized, and for the fake-quantization path the dequantized weight.
 *
 * @param name        the weight tensor's name (the key the forward pass's matmul carries)
 * @param site        the linear-input site it reads
 * @param weights     INT8 codes with per-tensor or per-channel scales
 * @param inputScale  explicit per-channel 1/s applied while quantizing the input, or null
 * @param staticScale the O3 activation scale, or NaN for dynamic levels
 * @param dequantized {@code codes * scale} as an F32 matrix (fake quantization only), or null
 */
public record QuantizedLinear(String name, SiteKey site, Int8Weights weights, float[] inputScale, float staticScale,
                              Matrix dequantized) {

    public int rows() {
        return weights.rows();
    }

    public int cols() {
        return weights.cols();
    }
}

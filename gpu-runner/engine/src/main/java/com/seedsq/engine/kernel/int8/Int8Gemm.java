package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.QuantizedMatrix;

/**
 * INT8 × INT8 → INT32 matrix product {@code C[M, N] = A[M, K] · W[N, K]ᵀ} (A = quantized activations, W = quantized
 * weights, both row-major over K), with one dequantization per output. Implementations differ in speed only: the
 * integers are exact, so every kernel must return what {@link ScalarInt8Gemm} returns.
 *
 * <p>The fast kernels own a thread pool: create one per process (see {@link Int8Kernels#best}), share it, close it.
 */
public interface Int8Gemm extends AutoCloseable {

    /** A short name for logs and reports, e.g. {@code java-vector} or {@code native-avx512-vnni}. */
    String name();

    void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out);

    /** {@code acc[m·N + n] = Σ_k A[m,k]·W[n,k]}. */
    default void multiplyInt32(QuantizedMatrix a, Int8Weights w, int[] acc) {
        multiply(a, w, Int8Output.int32(acc, w));
    }

    /** {@code out[m·N + n] = acc · aScale[m or 0] · wScale[n or 0] + bias[n]}; {@code bias} may be null. */
    default void multiply(QuantizedMatrix a, Int8Weights w, float[] bias, float[] out) {
        multiply(a, w, Int8Output.dequantized(out, a, w, bias));
    }

    /**
     * Several products of one A (q, k and v of one input): {@code outs[i] = A · ws[i]ᵀ}, dequantized, plus
     * {@code biases[i]} (an entry may be null). The results are those of separate {@link #multiply} calls; kernels
     * may prepare A once and hand out all the products' work as one batch.
     */
    default void multiply(QuantizedMatrix a, Int8Weights[] ws, float[][] biases, float[][] outs) {
        for (int i = 0; i < ws.length; i++) {
            multiply(a, ws[i], biases[i], outs[i]);
        }
    }

    /** Bytes of repacked weight copies this kernel holds (kernels that multiply the codes as they are: 0). */
    default long packedBytes() {
        return 0;
    }

    @Override
    default void close() {
    }
}

package com.seedsq.engine.kernel;

import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.model.RopeScaling;

import java.util.function.IntConsumer;

/**
 * The compute primitives of the forward pass. Activations are row-major float arrays of {@code m} rows; weights are
 * {@link Matrix} [out, in]. Only what dominates the cost (matmul, attention dots) needs a fast implementation;
 * {@link ScalarKernels} is the readable reference the tests compare against.
 */
public interface Kernels extends AutoCloseable {

    /** {@code out[i, j] = sum_c x[i, c] * w[j, c]} for x [m, w.cols], out [m, w.rows]. */
    void matmul(float[] x, int m, Matrix w, float[] out);

    /**
     * A linear layer: {@link #matmul}, then {@code out[i, j] += bias[j]} ({@code bias} may be null). Kernels that can
     * add the bias while writing the product out (the INT8 epilogue, oneDNN's copy-out) override this; the sum is the
     * same float addition either way, so the result is too. Decorators that watch {@link #matmul} (calibration) keep
     * seeing every product, since this default goes through it.
     */
    default void linear(float[] x, int m, Matrix w, float[] bias, float[] out) {
        matmul(x, m, w, out);
        addBias(out, m, bias);
    }

    /**
     * Several linears over one input (q, k and v): {@code outs[i] = x · ws[i]ᵀ + biases[i]} (a bias may be null).
     * The default calls {@link #linear} for each, so decorators that watch {@link #matmul} still see every product;
     * kernels that can share the input's preparation (one copy to native memory, one quantization) and hand out all
     * the products' work as one batch override it, with the results of separate calls.
     */
    default void linears(float[] x, int m, Matrix[] ws, float[][] biases, float[][] outs) {
        for (int i = 0; i < ws.length; i++) {
            linear(x, m, ws[i], biases[i], outs[i]);
        }
    }

    /** {@code out[i, j] += bias[j]} for {@code m} rows of {@code bias.length}; nothing when {@code bias} is null. */
    static void addBias(float[] out, int m, float[] bias) {
        if (bias != null) {
            int n = bias.length;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    out[i * n + j] += bias[j];
                }
            }
        }
    }

    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code y[yOff + i] += a * x[xOff + i]}. */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);

    /** Runs {@code body(0..count-1)}, in parallel where the implementation has threads. */
    void parallelFor(int count, IntConsumer body);

    default void rmsnorm(float[] out, float[] x, float[] weight, int m, int dim, float eps) {
        rmsnormRows(out, x, weight, 0, m, dim, eps);
    }

    /** {@link #rmsnorm} of rows [r0, r1) only: rows are independent, so kernels may share them out. */
    static void rmsnormRows(float[] out, float[] x, float[] weight, int r0, int r1, int dim, float eps) {
        for (int r = r0; r < r1; r++) {
            int o = r * dim;
            float ss = 0f;
            for (int i = 0; i < dim; i++) {
                ss += x[o + i] * x[o + i];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                out[o + i] = weight[i] * (inv * x[o + i]);
            }
        }
    }

    /** LayerNorm with biased variance (PyTorch); {@code bias} may be null. */
    default void layernorm(float[] out, float[] x, float[] weight, float[] bias, int m, int dim, float eps) {
        layernormRows(out, x, weight, bias, 0, m, dim, eps);
    }

    /** {@link #layernorm} of rows [r0, r1) only (see {@link #rmsnormRows}). */
    static void layernormRows(float[] out, float[] x, float[] weight, float[] bias, int r0, int r1, int dim,
                              float eps) {
        for (int r = r0; r < r1; r++) {
            int o = r * dim;
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                mean += x[o + i];
            }
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[o + i] - mean;
                var += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(var / dim + eps));
            for (int i = 0; i < dim; i++) {
                float v = (float) (x[o + i] - mean) * inv * weight[i];
                out[o + i] = bias == null ? v : v + bias[i];
            }
        }
    }

    /** The post-LN residual step (BERT): {@code x += delta}, then {@code x = LayerNorm(x)} in place. */
    default void addLayernorm(float[] x, float[] delta, float[] weight, float[] bias, int m, int dim, float eps) {
        for (int i = 0; i < m * dim; i++) {
            x[i] += delta[i];
        }
        layernorm(x, x, weight, bias, m, dim, eps);
    }

    /**
     * {@code C[i, j] = alpha · Σ_p A[i, p] · B[p, j]} for {@code i < m, j < n, p < k}: A, B and C row-major with
     * leading dimensions {@code lda, ldb, ldc} (elements between rows) from offsets {@code aOff, bOff, cOff}; C is
     * overwritten. Prefill attention is two of these per head: Q·Kᵀ (the cache keeps keys transposed) and P·V.
     *
     * <p>Each element sums its {@code k} products in order of p with fused multiply-adds, then multiplies by alpha:
     * every implementation rounds the same way, so results are bit-identical whatever the tiling.
     */
    default void gemmNN(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                        int m, int n, int k, float alpha) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a[aOff + i * lda + p], b[bOff + p * ldb + j], acc);
                }
                c[cOff + i * ldc + j] = alpha * acc;
            }
        }
    }

    /** In-place softmax of {@code x[off..off+len)}. */
    default void softmax(float[] x, int off, int len) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < len; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        for (int i = 0; i < len; i++) {
            x[off + i] /= sum;
        }
    }

    /**
     * Rotary embedding in place on rows of {@code x} ([m, rowStride]); row r is at position {@code startPos + r} and
     * holds {@code heads} heads of {@code headDim}. INTERLEAVED rotates (2i, 2i+1), HALVES rotates (i, i + d/2);
     * both use frequency {@code theta^(-2i/d)} for pair i.
     */
    default void rope(float[] x, int m, int rowStride, int heads, int headDim, int startPos, float theta,
                      PositionKind layout) {
        rope(x, m, rowStride, heads, headDim, headDim, startPos, theta, layout);
    }

    /**
     * RoPE on the first {@code rotaryDim} dimensions of each head only (GPT-NeoX's partial rotary: pairs and
     * frequencies as above with d = rotaryDim); the other dimensions pass through.
     */
    default void rope(float[] x, int m, int rowStride, int heads, int headDim, int rotaryDim, int startPos,
                      float theta, PositionKind layout) {
        rope(x, m, rowStride, heads, headDim, startPos, RopeScaling.defaultInverseFrequencies(theta, rotaryDim), layout);
    }

    /**
     * RoPE with explicit inverse frequencies: pair i of the first {@code 2 * invFreq.length} dimensions of each head
     * turns by angle {@code position * invFreq[i]} (plain RoPE: {@code theta^(-2i/d)}; scaled RoPE, e.g. Llama 3.1's,
     * rescales them: {@link RopeScaling#inverseFrequencies}); the other dimensions pass through.
     */
    default void rope(float[] x, int m, int rowStride, int heads, int headDim, int startPos, float[] invFreq,
                      PositionKind layout) {
        int half = invFreq.length;
        if (2 * half > headDim) {
            throw new IllegalArgumentException(half + " RoPE frequencies for a head of " + headDim);
        }
        for (int r = 0; r < m; r++) {
            int pos = startPos + r;
            for (int i = 0; i < half; i++) {
                float angle = pos * invFreq[i];
                float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int base = r * rowStride + h * headDim;
                    int a, b;
                    if (layout == PositionKind.ROPE_INTERLEAVED) {
                        a = base + 2 * i;
                        b = a + 1;
                    } else if (layout == PositionKind.ROPE_HALVES) {
                        a = base + i;
                        b = a + half;
                    } else {
                        throw new IllegalArgumentException("not a RoPE layout: " + layout);
                    }
                    float v0 = x[a], v1 = x[b];
                    x[a] = v0 * cos - v1 * sin;
                    x[b] = v0 * sin + v1 * cos;
                }
            }
        }
    }

    /** SwiGLU's gate in place: {@code gate[i] = silu(gate[i]) * up[i]}. */
    default void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** GELU, exact erf form (OPT-style {@code nn.GELU()}), computed in double. */
    default void gelu(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Erf.erf(v / Math.sqrt(2))));
        }
    }

    /** GELU, tanh approximation (GPT-2, BERT's TF graph). */
    default void geluTanh(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    default void relu(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            x[i] = Math.max(0f, x[i]);
        }
    }

    @Override
    default void close() {
    }
}

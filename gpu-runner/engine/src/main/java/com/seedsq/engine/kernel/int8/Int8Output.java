package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.QuantizedMatrix;

/**
 * Where a GEMM puts output [m, n]: the raw INT32 accumulator (tests, exactness checks) or the fused dequantization
 * {@code acc · aScale · wScale + bias}, done while the accumulator is still in a register so the INT32 matrix is
 * never written out. Every kernel evaluates that expression in this order in float32 (no fused multiply-add), so all
 * kernels give bit-identical floats, not only identical integers.
 */
public sealed interface Int8Output {

    void put(int m, int n, int acc);

    /**
     * Throws unless this output fits {@code A · Wᵀ}. Kernels call it first: the native one writes into these arrays
     * without bounds checks.
     */
    void check(QuantizedMatrix a, Int8Weights w);

    /** Row-major [M, N] accumulators. */
    record Int32(int[] acc, int n) implements Int8Output {
        @Override
        public void put(int m, int col, int value) {
            acc[m * n + col] = value;
        }

        @Override
        public void check(QuantizedMatrix a, Int8Weights w) {
            checkShape(acc.length, n, a, w);
        }
    }

    /** Row-major [M, N] floats; {@code bias} may be null. */
    record Dequantized(float[] out, int n, float[] aScales, boolean aPerRow, float[] wScales, boolean wPerRow,
                       float[] bias) implements Int8Output {
        @Override
        public void put(int m, int col, int value) {
            float v = value * aScales[aPerRow ? m : 0] * wScales[wPerRow ? col : 0];
            out[m * n + col] = bias == null ? v : v + bias[col];
        }

        @Override
        public void check(QuantizedMatrix a, Int8Weights w) {
            checkShape(out.length, n, a, w);
            if (aScales.length < (aPerRow ? a.rows() : 1) || wScales.length < (wPerRow ? w.rows() : 1)) {
                throw new IllegalArgumentException("too few scales: " + aScales.length + " for A, " + wScales.length
                        + " for W");
            }
            if (bias != null && bias.length != n) {
                throw new IllegalArgumentException(n + " outputs but " + bias.length + " biases");
            }
        }
    }

    static Int32 int32(int[] acc, Int8Weights w) {
        return new Int32(acc, w.rows());
    }

    /** Scales taken from the operands: one per row of A or one in all, one per row of W or one in all. */
    static Dequantized dequantized(float[] out, QuantizedMatrix a, Int8Weights w, float[] bias) {
        return new Dequantized(out, w.rows(), a.scales(), a.granularity().perRow(), w.matrix().scales(),
                w.matrix().granularity().perRow(), bias);
    }

    private static void checkShape(int length, int n, QuantizedMatrix a, Int8Weights w) {
        if (a.cols() != w.cols()) {
            throw new IllegalArgumentException("A has " + a.cols() + " columns, W has " + w.cols());
        }
        if (n != w.rows() || length != (long) a.rows() * w.rows()) {
            throw new IllegalArgumentException("output [" + length / Math.max(n, 1) + "," + n + "] does not fit ["
                    + a.rows() + "," + w.rows() + "]");
        }
    }
}

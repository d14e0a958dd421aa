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

    /** Row-major [M, N] accumulators. */
    record Int32(int[] acc, int n) implements Int8Output {
        @Override
        public void put(int m, int col, int value) {
            acc[m * n + col] = value;
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
    }

    static Int32 int32(int[] acc, QuantizedMatrix a, Int8Weights w) {
        check(acc.length, a, w);
        return new Int32(acc, w.rows());
    }

    static Dequantized dequantized(float[] out, QuantizedMatrix a, Int8Weights w, float[] bias) {
        check(out.length, a, w);
        if (bias != null && bias.length != w.rows()) {
            throw new IllegalArgumentException(w.rows() + " outputs but " + bias.length + " biases");
        }
        return new Dequantized(out, w.rows(), a.scales(), a.granularity().perRow(), w.matrix().scales(),
                w.matrix().granularity().perRow(), bias);
    }

    private static void check(int length, QuantizedMatrix a, Int8Weights w) {
        if (a.cols() != w.cols()) {
            throw new IllegalArgumentException("A has " + a.cols() + " columns, W has " + w.cols());
        }
        if (length != a.rows() * w.rows()) {
            throw new IllegalArgumentException("output holds " + length + " values, [" + a.rows() + "," + w.rows()
                    + "] needs " + (long) a.rows() * w.rows());
        }
    }
}

package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.QuantizedMatrix;

import java.lang.foreign.ValueLayout;

/**
 * INT8 weights W[rows = out, cols = in] prepared once for every {@link Int8Gemm}: the codes, plus each row's code sum,
 * which a kernel multiplying unsigned activations (VNNI's u8×s8) needs to undo the +128 shift:
 * {@code Σ(a+128)·w = Σa·w + 128·Σw}.
 *
 * <p>Construction rejects the code -128: the symmetric quantizer never produces it, and excluding it bounds
 * |a·w| ≤ 128·127, so two products still fit a signed 16-bit lane, which the Java kernel relies on.
 */
public record Int8Weights(QuantizedMatrix matrix, int[] rowSums) {

    public Int8Weights {
        if (matrix.granularity() == Granularity.TOKEN) {
            throw new IllegalArgumentException("weights carry per-tensor or per-channel scales, not per-token");
        }
        if (rowSums.length != matrix.rows()) {
            throw new IllegalArgumentException(matrix.rows() + " rows but " + rowSums.length + " row sums");
        }
    }

    public static Int8Weights of(QuantizedMatrix w) {
        int[] sums = new int[w.rows()];
        long k = w.cols();
        for (int r = 0; r < w.rows(); r++) {
            int s = 0;
            for (long c = 0; c < k; c++) {
                byte b = w.codes().get(ValueLayout.JAVA_BYTE, r * k + c);
                if (b == Byte.MIN_VALUE) {
                    throw new IllegalArgumentException("weight code -128 at [" + r + "," + c
                            + "]: symmetric INT8 weights lie in [-127, 127]");
                }
                s += b;
            }
            sums[r] = s;
        }
        return new Int8Weights(w, sums);
    }

    public int rows() {
        return matrix.rows();
    }

    public int cols() {
        return matrix.cols();
    }
}

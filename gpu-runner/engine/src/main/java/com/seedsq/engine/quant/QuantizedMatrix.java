package com.seedsq.engine.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A symmetric INT8 matrix [rows, cols], row-major: {@code value[r][c] ≈ codes[r][c] * scale(r)}.
 *
 * <p>Codes live in a {@link MemorySegment} so the same record holds heap bytes (activations quantized per call) and
 * memory-mapped or native bytes (weights loaded from an export), and native kernels can read either without a copy.
 */
public record QuantizedMatrix(MemorySegment codes, int rows, int cols, float[] scales, Granularity granularity) {

    public QuantizedMatrix {
        if (rows < 0 || cols < 0 || codes.byteSize() != (long) rows * cols) {
            throw new IllegalArgumentException("codes hold " + codes.byteSize() + " bytes, a " + rows + "x" + cols
                    + " INT8 matrix needs " + (long) rows * cols);
        }
        int expected = granularity.perRow() ? rows : 1;
        if (scales.length != expected) {
            throw new IllegalArgumentException(granularity + " quantization of " + rows + " rows needs " + expected
                    + " scales, got " + scales.length);
        }
    }

    public static QuantizedMatrix ofBytes(byte[] codes, int rows, int cols, float[] scales, Granularity g) {
        return new QuantizedMatrix(MemorySegment.ofArray(codes), rows, cols, scales, g);
    }

    public byte code(int row, int col) {
        return codes.get(ValueLayout.JAVA_BYTE, (long) row * cols + col);
    }

    public float scale(int row) {
        return scales[granularity.perRow() ? row : 0];
    }

    /** A copy of the codes, row-major. */
    public byte[] toByteArray() {
        return codes.toArray(ValueLayout.JAVA_BYTE);
    }

    /** {@code code * scale} in float32, the reference's dequantization. */
    public float[] dequantize() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) {
            float s = scale(r);
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = code(r, c) * s;
            }
        }
        return out;
    }
}

package com.seedsq.engine.kernel;

import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix [rows = out, cols = in], row-major, little-endian, as stored (F32, F16 or BF16): kernels widen
 * to float as they read, so FP16 weights cost half the memory traffic and no up-front conversion.
 */
public record Matrix(String name, DType dtype, int rows, int cols, MemorySegment data) {

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Matrix {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException(name + ": kernels take F32/F16/BF16 weights, not " + dtype);
        }
        if (data.byteSize() != (long) rows * cols * dtype.bytes()) {
            throw new IllegalArgumentException(name + ": " + rows + "x" + cols + " " + dtype + " needs "
                    + (long) rows * cols * dtype.bytes() + " bytes, got " + data.byteSize());
        }
    }

    /** A 2-D tensor as a matrix (1-D tensors are one row). */
    public static Matrix of(TensorData t) {
        long[] s = t.shape();
        if (s.length == 1) {
            return new Matrix(t.name(), t.dtype(), 1, Math.toIntExact(s[0]), t.data());
        }
        if (s.length != 2) {
            throw new IllegalArgumentException(t.name() + ": expected a matrix, shape has " + s.length + " dims");
        }
        return new Matrix(t.name(), t.dtype(), Math.toIntExact(s[0]), Math.toIntExact(s[1]), t.data());
    }

    /** A heap-backed F32 matrix (tests, random models). */
    public static Matrix ofFloats(String name, int rows, int cols, float[] values) {
        return new Matrix(name, DType.F32, rows, cols, MemorySegment.ofArray(values.clone()));
    }

    public float get(int row, int col) {
        long i = (long) row * cols + col;
        return switch (dtype) {
            case F32 -> data.get(F32_LE, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16_LE, i * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16_LE, i * 2) & 0xffff) << 16);
            default -> throw new IllegalStateException();
        };
    }

    /** Widens rows [from, to) into {@code dst} (row-major, starting at 0). */
    public void widenRows(int from, int to, float[] dst) {
        long first = (long) from * cols;
        int count = (to - from) * cols;
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32_LE, first * 4, dst, 0, count);
            return;
        }
        // Bulk-copy the 16-bit codes to an array first: C2 auto-vectorises the plain array loops below
        // (float16ToFloat becomes vcvtph2ps), which it does not do for element-wise segment reads.
        short[] codes = SHORTS.get();
        if (codes.length < count) {
            codes = new short[count];
            SHORTS.set(codes);
        }
        MemorySegment.copy(data, I16_LE, first * 2, codes, 0, count);
        if (dtype == DType.F16) {
            for (int i = 0; i < count; i++) {
                dst[i] = Float.float16ToFloat(codes[i]);
            }
        } else {
            for (int i = 0; i < count; i++) {
                dst[i] = Float.intBitsToFloat(codes[i] << 16);
            }
        }
    }

    private static final ThreadLocal<short[]> SHORTS = ThreadLocal.withInitial(() -> new short[0]);

    /** One row widened into {@code dst[off..off+cols)}; used for embedding lookups. */
    public void row(int row, float[] dst, int off) {
        for (int c = 0; c < cols; c++) {
            dst[off + c] = get(row, c);
        }
    }

    public float[] toFloatArray() {
        float[] out = new float[rows * cols];
        widenRows(0, rows, out);
        return out;
    }
}

package com.seedsq.engine.format.gguf;

import com.seedsq.engine.tensor.DType;

/**
 * ggml tensor types by their GGUF id, with block geometry so that the byte size of any tensor (quantized ones
 * included) can be computed for validation. Only the plain types map to an engine {@link DType}.
 */
public enum GgmlType {
    F32(0, 1, 4, DType.F32),
    F16(1, 1, 2, DType.F16),
    Q4_0(2, 32, 18, null),
    Q4_1(3, 32, 20, null),
    Q5_0(6, 32, 22, null),
    Q5_1(7, 32, 24, null),
    Q8_0(8, 32, 34, null),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, null),
    Q5_K(13, 256, 176, null),
    Q6_K(14, 256, 210, null),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, DType.I8),
    I16(25, 1, 2, null),
    I32(26, 1, 4, DType.I32),
    I64(27, 1, 8, null),
    F64(28, 1, 8, null),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, DType.BF16),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    MXFP4(39, 32, 17, null);

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final DType dtype;

    GgmlType(int id, int blockSize, int typeSize, DType dtype) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dtype = dtype;
    }

    public int id() {
        return id;
    }

    /** The engine dtype, or null for quantized and other types the engine does not compute with. */
    public DType dtype() {
        return dtype;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** The type for a GGUF id, or null when unknown. */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /**
     * Bytes of a tensor with {@code elements} elements, or -1 when the innermost dimension is not a whole number of
     * blocks (ggml requires rows to be whole blocks).
     */
    public long byteSize(long innermost, long elements) {
        if (innermost % blockSize != 0) {
            return -1;
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }
}

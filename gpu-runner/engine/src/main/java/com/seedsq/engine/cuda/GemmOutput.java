package com.seedsq.engine.cuda;

/** What a GEMM's epilogue writes. */
public enum GemmOutput {
    /** Raw INT32 accumulators (INT8 only): the exactness check. */
    INT32("i32", 4),
    /** FP32: for INT8, {@code acc · aScale · wScale (+ bias)} in that order, bit-identical to the CPU kernels. */
    FP32("f32", 4),
    /** FP16: the FP32 value above rounded to nearest. */
    FP16("f16", 2);

    private final String code;
    private final int elementBytes;

    GemmOutput(String code, int elementBytes) {
        this.code = code;
        this.elementBytes = elementBytes;
    }

    public String code() {
        return code;
    }

    public int elementBytes() {
        return elementBytes;
    }
}

package com.seedsq.engine.cuda;

/** Operand type of a tensor-core GEMM: the MMA instruction, the element size and the kernel-name part. */
public enum GemmPrecision {
    /** {@code mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32}: INT8 operands, INT32 accumulators. */
    INT8("s8", 1),
    /** {@code mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32}: FP16 operands, FP32 accumulators. */
    FP16("f16", 2);

    private final String code;
    private final int elementBytes;

    GemmPrecision(String code, int elementBytes) {
        this.code = code;
        this.elementBytes = elementBytes;
    }

    public String code() {
        return code;
    }

    public int elementBytes() {
        return elementBytes;
    }

    /** K must be a multiple of this many elements (one pipeline stage of {@link GemmTile#K_TILE_BYTES}). */
    public int kMultiple() {
        return GemmTile.K_TILE_BYTES / elementBytes;
    }
}

package com.seedsq.engine.format.gguf;

/**
 * A GGUF tensor-info record.
 *
 * @param ggufDims dimensions as stored: innermost (fastest-varying) first, the reverse of the engine's shapes
 * @param offset   relative to the start of the aligned data section
 * @param byteSize computed from type and dimensions
 */
public record GgufTensorInfo(String name, long[] ggufDims, GgmlType type, long offset, long byteSize) {

    /** Outermost-first shape, as {@link com.seedsq.engine.tensor.TensorData} uses (GGUF [in, out] → [out, in]). */
    public long[] shape() {
        long[] s = new long[ggufDims.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = ggufDims[ggufDims.length - 1 - i];
        }
        return s;
    }
}

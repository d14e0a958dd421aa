package com.seedsq.engine.tensor;

/** Element types the engine reads and writes. Names follow safetensors ("F32", "F16", "BF16", "I8", "I32"). */
public enum DType {
    F32(4), F16(2), BF16(2), I8(1), I32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}

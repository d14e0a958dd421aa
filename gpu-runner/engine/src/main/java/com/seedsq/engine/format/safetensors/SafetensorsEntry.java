package com.seedsq.engine.format.safetensors;

import com.seedsq.engine.tensor.DType;

/**
 * One tensor of a safetensors header: dtype, shape (outermost first) and its byte range relative to the start of
 * the data buffer, i.e. {@code [begin, end)} after the 8-byte length and the JSON header.
 */
public record SafetensorsEntry(String name, DType dtype, long[] shape, long begin, long end) {

    public long byteSize() {
        return end - begin;
    }
}

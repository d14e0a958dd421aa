package com.seedsq.engine.format.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a tensor's bytes go while a file is being written. Producers may call the methods any number of times, in
 * row-major order; the writer checks that exactly the declared number of bytes arrived.
 */
public interface TensorSink {

    void write(MemorySegment bytes) throws IOException;

    /** Writes floats as little-endian F32. */
    void writeFloats(float[] values, int offset, int length) throws IOException;

    void writeBytes(byte[] values, int offset, int length) throws IOException;

    /** Writes ints as little-endian I32. */
    void writeInts(int[] values, int offset, int length) throws IOException;

    default void writeFloats(float[] values) throws IOException {
        writeFloats(values, 0, values.length);
    }
}

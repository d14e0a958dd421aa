package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Little-endian sequential reads over the mapped GGUF file; reads past the end name the file and the offset. */
final class GgufCursor {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment seg;
    private long pos;
    /** What is being read, for error messages ("metadata key 'x'", "tensor info 3"). */
    String context = "header";

    GgufCursor(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
    }

    long position() {
        return pos;
    }

    private long take(long n) {
        if (n < 0 || pos + n > seg.byteSize() || pos + n < 0) {
            throw new ModelFormatException(file, null, context + ": needs " + n + " bytes at offset " + pos
                    + " but the file has " + seg.byteSize() + " (truncated?)");
        }
        long at = pos;
        pos += n;
        return at;
    }

    byte u8() {
        return seg.get(ValueLayout.JAVA_BYTE, take(1));
    }

    short u16() {
        return seg.get(I16, take(2));
    }

    int u32() {
        return seg.get(I32, take(4));
    }

    long u64() {
        return seg.get(I64, take(8));
    }

    float f32() {
        return seg.get(F32, take(4));
    }

    double f64() {
        return seg.get(F64, take(8));
    }

    String string() {
        long len = u64();
        if (len < 0 || len > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(file, null, context + ": string length " + Long.toUnsignedString(len)
                    + " at offset " + (pos - 8) + " is implausible");
        }
        long at = take(len);
        return new String(seg.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}

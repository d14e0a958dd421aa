package com.seedsq.engine.format.tfbundle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Sequential reader of protobuf/LevelDB primitives (varints, little-endian fixed32/64, length-delimited slices)
 * over a memory segment. Reading past the end throws {@link IllegalStateException} with the offset, which callers
 * turn into a format error naming the file.
 */
final class ProtoCursor {

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment seg;
    private long pos;

    ProtoCursor(MemorySegment seg) {
        this.seg = seg;
    }

    boolean hasMore() {
        return pos < seg.byteSize();
    }

    long position() {
        return pos;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = readByte();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new IllegalStateException("varint longer than 10 bytes at offset " + (pos - 10));
    }

    int readVarint32() {
        long v = readVarint();
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalStateException("varint " + v + " out of 32-bit range before offset " + pos);
        }
        return (int) v;
    }

    int readFixed32() {
        need(4);
        int v = seg.get(I32_LE, pos);
        pos += 4;
        return v;
    }

    long readFixed64() {
        need(8);
        long v = seg.get(I64_LE, pos);
        pos += 8;
        return v;
    }

    byte readByte() {
        need(1);
        return seg.get(ValueLayout.JAVA_BYTE, pos++);
    }

    MemorySegment readSlice(long n) {
        need(n);
        MemorySegment s = seg.asSlice(pos, n);
        pos += n;
        return s;
    }

    /** A length-delimited field's payload. */
    MemorySegment readDelimited() {
        return readSlice(readVarint());
    }

    /** Skips one field's payload given its protobuf wire type. */
    void skipField(int wireType) {
        switch (wireType) {
            case 0 -> readVarint();
            case 1 -> readSlice(8);
            case 2 -> readDelimited();
            case 5 -> readSlice(4);
            default -> throw new IllegalStateException("unsupported protobuf wire type " + wireType + " at offset " + pos);
        }
    }

    private void need(long n) {
        if (n < 0 || pos + n > seg.byteSize()) {
            throw new IllegalStateException("needs " + n + " bytes at offset " + pos + " but only "
                    + (seg.byteSize() - pos) + " remain");
        }
    }
}

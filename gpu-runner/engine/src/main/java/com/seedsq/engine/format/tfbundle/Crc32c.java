package com.seedsq.engine.format.tfbundle;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC-32C (Castagnoli) as TensorFlow and LevelDB store it. Stored values are <em>masked</em>: a CRC of data that
 * itself contains CRCs would otherwise be degenerate, so LevelDB rotates and offsets it.
 */
public final class Crc32c {

    private static final int MASK_DELTA = 0xa282ead8;
    private static final long CHUNK = 1L << 30;

    private Crc32c() {
    }

    public static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    /** CRC-32C of the segment, in chunks so that segments above 2 GiB work too (ByteBuffer views are int-indexed). */
    public static int of(MemorySegment seg) {
        CRC32C crc = new CRC32C();
        update(crc, seg);
        return (int) crc.getValue();
    }

    static void update(CRC32C crc, MemorySegment seg) {
        for (long off = 0; off < seg.byteSize(); off += CHUNK) {
            ByteBuffer b = seg.asSlice(off, Math.min(CHUNK, seg.byteSize() - off)).asByteBuffer();
            crc.update(b);
        }
    }
}

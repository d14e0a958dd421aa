package com.seedsq.engine.format.tfbundle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One LevelDB table block: {@code (varint shared, varint non_shared, varint value_len, key suffix, value)*}, then
 * {@code uint32 restart offsets[n]} and {@code uint32 n}. Keys are prefix-compressed against the previous key; the
 * restart points only speed up seeks, and since the bundle is read in full they are validated but not used.
 */
final class TableBlock {

    /** A key and its value, the value a slice of the mapped file. */
    record Entry(String key, MemorySegment value) {
    }

    private static final ValueLayout.OfInt U32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TableBlock() {
    }

    static List<Entry> entries(MemorySegment block) {
        long size = block.byteSize();
        if (size < 4) {
            throw new IllegalStateException("block of " + size + " bytes has no restart count");
        }
        long restarts = Integer.toUnsignedLong(block.get(U32_LE, size - 4));
        long entriesEnd = size - 4 - 4 * restarts;
        if (restarts == 0 || entriesEnd < 0) {
            throw new IllegalStateException("block of " + size + " bytes claims " + restarts + " restart points");
        }
        ProtoCursor c = new ProtoCursor(block.asSlice(0, entriesEnd));
        List<Entry> out = new ArrayList<>();
        byte[] key = new byte[0];
        while (c.hasMore()) {
            long at = c.position();
            int shared = c.readVarint32();
            int nonShared = c.readVarint32();
            long valueLen = c.readVarint();
            if (shared > key.length) {
                throw new IllegalStateException("entry at block offset " + at + " shares " + shared
                        + " bytes with a previous key of " + key.length);
            }
            byte[] suffix = c.readSlice(nonShared).toArray(ValueLayout.JAVA_BYTE);
            byte[] next = Arrays.copyOf(key, shared + nonShared);
            System.arraycopy(suffix, 0, next, shared, nonShared);
            key = next;
            out.add(new Entry(new String(key, StandardCharsets.UTF_8), c.readSlice(valueLen)));
        }
        return out;
    }
}

package com.seedsq.engine.format.tfbundle;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoded {@code BundleEntryProto}: where one tensor's bytes live and what they are.
 *
 * @param maskedCrc32c the stored checksum, still masked (see {@link Crc32c#mask(int)})
 * @param sliced       true when the entry is a partitioned variable described by slices, which this reader does not
 *                     assemble
 */
record BundleEntry(String name, int dtype, long[] shape, int shardId, long offset, long size, int maskedCrc32c,
                   boolean hasCrc, boolean sliced) {

    static BundleEntry parse(String name, MemorySegment proto) {
        ProtoCursor c = new ProtoCursor(proto);
        int dtype = 0;
        long[] shape = new long[0];
        int shard = 0;
        long offset = 0;
        long size = 0;
        int crc = 0;
        boolean hasCrc = false;
        boolean sliced = false;
        while (c.hasMore()) {
            long tag = c.readVarint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            switch (field) {
                case 1 -> dtype = c.readVarint32();
                case 2 -> shape = parseShape(c.readDelimited());
                case 3 -> shard = c.readVarint32();
                case 4 -> offset = c.readVarint();
                case 5 -> size = c.readVarint();
                case 6 -> {
                    crc = c.readFixed32();
                    hasCrc = true;
                }
                case 7 -> {
                    sliced = true;
                    c.skipField(wire);
                }
                default -> c.skipField(wire);
            }
        }
        return new BundleEntry(name, dtype, shape, shard, offset, size, crc, hasCrc, sliced);
    }

    /** {@code TensorShapeProto}: repeated field 2 {@code Dim} whose field 1 is the size. */
    private static long[] parseShape(MemorySegment proto) {
        ProtoCursor c = new ProtoCursor(proto);
        List<Long> dims = new ArrayList<>();
        while (c.hasMore()) {
            long tag = c.readVarint();
            if ((tag >>> 3) == 2 && (tag & 7) == 2) {
                ProtoCursor dim = new ProtoCursor(c.readDelimited());
                long size = 0;
                while (dim.hasMore()) {
                    long t = dim.readVarint();
                    if ((t >>> 3) == 1 && (t & 7) == 0) {
                        size = dim.readVarint();
                    } else {
                        dim.skipField((int) (t & 7));
                    }
                }
                dims.add(size);
            } else {
                c.skipField((int) (tag & 7));
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }
}

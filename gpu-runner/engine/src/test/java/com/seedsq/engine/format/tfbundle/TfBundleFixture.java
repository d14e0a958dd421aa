package com.seedsq.engine.format.tfbundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes small tensor bundles for tests, independently of the reader: LevelDB blocks with prefix-compressed keys,
 * block trailers, footer, and BundleEntryProto values. Corruptions are applied by the tests afterwards.
 */
final class TfBundleFixture {

    record Tensor(String name, int dtype, long[] shape, byte[] bytes) {
        static Tensor f32(String name, long[] shape, float... values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putFloat(v);
            }
            return new Tensor(name, 1, shape, b.array());
        }
    }

    /** Overrides applied to an entry as written, to fabricate inconsistent indexes. */
    long sizeDelta;
    long offsetDelta;

    /** Writes {@code prefix.index} and {@code prefix.data-00000-of-00001}. */
    void write(Path prefix, List<Tensor> tensors) throws IOException {
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(Tensor::name));
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        keys.add(new byte[0]);
        values.add(concat(tag(1, 0), varint(1), tag(2, 0), varint(0))); // header: 1 shard, little-endian
        for (Tensor t : sorted) {
            long offset = data.size();
            data.write(t.bytes());
            int c = crc(t.bytes());
            ByteArrayOutputStream shape = new ByteArrayOutputStream();
            for (long d : t.shape()) {
                byte[] dim = concat(tag(1, 0), varint(d));
                shape.write(concat(tag(2, 2), varint(dim.length), dim));
            }
            byte[] shapeBytes = shape.toByteArray();
            byte[] crcBytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Crc32c.mask(c)).array();
            values.add(concat(tag(1, 0), varint(t.dtype()), tag(2, 2), varint(shapeBytes.length), shapeBytes,
                    tag(4, 0), varint(offset + offsetDelta), tag(5, 0), varint(t.bytes().length + sizeDelta),
                    tag(6, 5), crcBytes));
            keys.add(t.name().getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream index = new ByteArrayOutputStream();
        long dataBlockSize = writeBlock(index, keys, values);
        byte[] handle = concat(varint(0), varint(dataBlockSize));
        long indexOffset = index.size();
        long indexSize = writeBlock(index, List.of(keys.getLast()), List.of(handle));
        long metaOffset = index.size();
        long metaSize = writeBlock(index, List.of(), List.of());
        byte[] handles = concat(varint(metaOffset), varint(metaSize), varint(indexOffset), varint(indexSize));
        ByteBuffer footer = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        footer.put(handles).position(40);
        footer.putLong(TfBundle.TABLE_MAGIC);
        index.write(footer.array());
        Files.write(prefix.resolveSibling(prefix.getFileName() + ".index"), index.toByteArray());
        Files.write(prefix.resolveSibling(prefix.getFileName() + ".data-00000-of-00001"), data.toByteArray());
    }

    /** Writes a block plus its trailer; returns the block size without trailer. */
    private static long writeBlock(ByteArrayOutputStream out, List<byte[]> keys, List<byte[]> values) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] prev = new byte[0];
        for (int i = 0; i < keys.size(); i++) {
            byte[] k = keys.get(i);
            int shared = 0;
            while (shared < Math.min(prev.length, k.length) && prev[shared] == k[shared]) {
                shared++;
            }
            b.write(varint(shared));
            b.write(varint(k.length - shared));
            b.write(varint(values.get(i).length));
            b.write(k, shared, k.length - shared);
            b.write(values.get(i));
            prev = k;
        }
        b.write(new byte[] {0, 0, 0, 0}); // one restart point at offset 0
        b.write(new byte[] {1, 0, 0, 0});
        byte[] block = b.toByteArray();
        out.write(block);
        byte[] withType = concat(block, new byte[] {0});
        out.write(0);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Crc32c.mask(crc(withType))).array());
        return block.length;
    }

    static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    static byte[] tag(int field, int wire) {
        return varint(((long) field << 3) | wire);
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}

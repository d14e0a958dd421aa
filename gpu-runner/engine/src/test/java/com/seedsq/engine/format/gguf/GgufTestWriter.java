package com.seedsq.engine.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A minimal GGUF writer for tests, written from the spec independently of the reader. */
public final class GgufTestWriter {

    private final ByteArrayOutputStream kvs = new ByteArrayOutputStream();
    private int kvCount;
    private final List<Object[]> tensors = new ArrayList<>(); // name, dims (ggml order), type id, bytes, offsetOverride
    int version = 3;
    int alignment = 32;
    /** When >= 0, the reader sees this offset for the last tensor instead of the real one. */
    long lastOffsetOverride = -1;

    GgufTestWriter kv(String key, int type, byte[] value) {
        kvs.writeBytes(string(key));
        kvs.writeBytes(le(4).putInt(type).array());
        kvs.writeBytes(value);
        kvCount++;
        return this;
    }

    GgufTestWriter kvString(String key, String v) {
        return kv(key, 8, string(v));
    }

    GgufTestWriter kvU32(String key, int v) {
        return kv(key, 4, le(4).putInt(v).array());
    }

    GgufTestWriter kvF32(String key, float v) {
        return kv(key, 6, le(4).putFloat(v).array());
    }

    /** An array of {@code elemType} whose elements are already encoded. */
    GgufTestWriter kvArray(String key, int elemType, int n, byte[] encoded) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4).putInt(elemType).array());
        b.writeBytes(le(8).putLong(n).array());
        b.writeBytes(encoded);
        return kv(key, 9, b.toByteArray());
    }

    GgufTestWriter tensor(String name, long[] ggmlDims, int type, byte[] bytes) {
        tensors.add(new Object[] {name, ggmlDims, type, bytes});
        return this;
    }

    GgufTestWriter tensorF32(String name, long[] ggmlDims, float... values) {
        ByteBuffer b = le(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return tensor(name, ggmlDims, 0, b.array());
    }

    void write(Path file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(4).putInt(0x46554747).array());
        out.writeBytes(le(4).putInt(version).array());
        out.writeBytes(le(8).putLong(tensors.size()).array());
        out.writeBytes(le(8).putLong(kvCount).array());
        out.writeBytes(kvs.toByteArray());
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int i = 0; i < tensors.size(); i++) {
            Object[] t = tensors.get(i);
            long[] dims = (long[]) t[1];
            out.writeBytes(string((String) t[0]));
            out.writeBytes(le(4).putInt(dims.length).array());
            for (long d : dims) {
                out.writeBytes(le(8).putLong(d).array());
            }
            out.writeBytes(le(4).putInt((Integer) t[2]).array());
            long offset = data.size();
            if (i == tensors.size() - 1 && lastOffsetOverride >= 0) {
                offset = lastOffsetOverride;
            }
            out.writeBytes(le(8).putLong(offset).array());
            data.writeBytes((byte[]) t[3]);
            while (data.size() % alignment != 0) {
                data.write(0);
            }
        }
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        out.writeBytes(data.toByteArray());
        Files.write(file, out.toByteArray());
    }

    static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return le(8 + b.length).putLong(b.length).put(b).array();
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}

package com.seedsq.engine.format.safetensors;

import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file by streaming: tensors are declared first (name, dtype, shape, and a producer of their
 * bytes), then {@link #write(Path)} emits the header and pulls each tensor's bytes in declaration order through a
 * 1 MiB buffer. Nothing but the current tensor's producer state is ever on the heap, which is what INT8 export of a
 * model larger than the heap needs.
 *
 * <p>The file appears atomically: it is written next to the target and moved into place only when complete, so a
 * crashed export never leaves a truncated file that looks valid.
 */
public final class SafetensorsWriter {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER_BYTES = 1 << 20;

    private record Pending(String name, DType dtype, long[] shape, long bytes, TensorContent content) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, Pending> byName = new LinkedHashMap<>();

    /** Adds a {@code __metadata__} entry (the format allows only string values). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> entries) {
        metadata.putAll(entries);
        return this;
    }

    /** Declares a tensor whose bytes {@code content} will produce when the writer reaches it. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, TensorContent content) {
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
        }
        long bytes = Math.multiplyExact(TensorData.elementCount(shape), dtype.bytes());
        Pending p = new Pending(name, dtype, shape.clone(), bytes, content);
        tensors.add(p);
        byName.put(name, p);
        return this;
    }

    /** Declares a tensor copied from {@code bytes} (e.g. a slice of another mapped file). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment bytes) {
        return add(name, dtype, shape, sink -> sink.write(bytes));
    }

    /** Copies a tensor as it is, under its own name. */
    public SafetensorsWriter add(TensorData tensor) {
        return add(tensor.name(), tensor.dtype(), tensor.shape(), tensor.data());
    }

    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        return add(name, DType.F32, shape, sink -> sink.writeFloats(values, 0, values.length));
    }

    public SafetensorsWriter addI8(String name, long[] shape, byte[] values) {
        return add(name, DType.I8, shape, sink -> sink.writeBytes(values, 0, values.length));
    }

    public SafetensorsWriter addI32(String name, long[] shape, int[] values) {
        return add(name, DType.I32, shape, sink -> sink.writeInts(values, 0, values.length));
    }

    /** Writes the file; returns its size in bytes. */
    public long write(Path target) throws IOException {
        byte[] header = headerBytes();
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
        try {
            long size;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                Sink sink = new Sink(ch);
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                sink.writeBytes(len.array(), 0, 8);
                sink.writeBytes(header, 0, header.length);
                for (Pending p : tensors) {
                    long before = sink.written;
                    try {
                        p.content().writeTo(sink);
                    } catch (RuntimeException e) {
                        throw new IOException("tensor '" + p.name() + "': producer failed: " + e, e);
                    }
                    long got = sink.written - before;
                    if (got != p.bytes()) {
                        throw new IOException("tensor '" + p.name() + "': declared " + p.dtype()
                                + Arrays.toString(p.shape()) + " = " + p.bytes() + " bytes, producer wrote " + got);
                    }
                }
                sink.flush();
                ch.force(false);
                size = sink.written;
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return size;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** JSON header in declaration order, space-padded to a multiple of 8 so the data buffer starts aligned. */
    private byte[] headerBytes() {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put(SafetensorsHeader.METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Pending p : tensors) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", p.dtype().name());
            e.put("shape", p.shape());
            e.put("data_offsets", new long[] {offset, offset + p.bytes()});
            root.put(p.name(), e);
            offset += p.bytes();
        }
        byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Buffers small writes into a direct buffer and drains it to the channel. */
    private static final class Sink implements TensorSink {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
        private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
        private int used;
        long written;

        Sink(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(MemorySegment bytes) throws IOException {
            long off = 0;
            long n = bytes.byteSize();
            while (off < n) {
                int chunk = (int) Math.min(n - off, BUFFER_BYTES - used);
                MemorySegment.copy(bytes, off, bufferSegment, used, chunk);
                advance(chunk);
                off += chunk;
            }
        }

        @Override
        public void writeFloats(float[] values, int offset, int length) throws IOException {
            while (length > 0) {
                int chunk = Math.min(length, (BUFFER_BYTES - used) / 4);
                if (chunk == 0) {
                    flush();
                    continue;
                }
                MemorySegment.copy(values, offset, bufferSegment, F32_LE, used, chunk);
                advance(chunk * 4);
                offset += chunk;
                length -= chunk;
            }
        }

        @Override
        public void writeInts(int[] values, int offset, int length) throws IOException {
            while (length > 0) {
                int chunk = Math.min(length, (BUFFER_BYTES - used) / 4);
                if (chunk == 0) {
                    flush();
                    continue;
                }
                MemorySegment.copy(values, offset, bufferSegment, I32_LE, used, chunk);
                advance(chunk * 4);
                offset += chunk;
                length -= chunk;
            }
        }

        @Override
        public void writeBytes(byte[] values, int offset, int length) throws IOException {
            while (length > 0) {
                int chunk = Math.min(length, BUFFER_BYTES - used);
                MemorySegment.copy(values, offset, bufferSegment, ValueLayout.JAVA_BYTE, used, chunk);
                advance(chunk);
                offset += chunk;
                length -= chunk;
            }
        }

        private void advance(int n) throws IOException {
            used += n;
            written += n;
            if (used == BUFFER_BYTES) {
                flush();
            }
        }

        void flush() throws IOException {
            buffer.clear().limit(used);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            used = 0;
        }
    }
}

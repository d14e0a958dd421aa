package com.seedsq.engine.format.safetensors;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.io.MappedFile;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A memory-mapped safetensors file: {@code u64 LE header length N}, {@code N} bytes of JSON, then the data buffer.
 * The header is validated completely in {@link #open(Path)}; tensors are zero-copy slices of the mapping.
 *
 * <p>{@link #metadata()} is the {@code __metadata__} map (string values only, by the format's definition).
 */
public final class SafetensorsFile implements WeightSource {

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MappedFile file;
    private final SafetensorsHeader header;
    private final MemorySegment data;

    private SafetensorsFile(MappedFile file, SafetensorsHeader header, MemorySegment data) {
        this.file = file;
        this.header = header;
        this.data = data;
    }

    public static SafetensorsFile open(Path path) {
        MappedFile mapped = MappedFile.open(path);
        try {
            MemorySegment seg = mapped.segment();
            long size = seg.byteSize();
            if (size < 8) {
                throw new ModelFormatException(path, null, "file has " + size
                        + " bytes, too short for the 8-byte header length (truncated or not safetensors)");
            }
            long n = seg.get(U64_LE, 0);
            if (n < 2 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new ModelFormatException(path, null, "header length " + Long.toUnsignedString(n)
                        + " is implausible (must be 2.." + SafetensorsHeader.MAX_HEADER_BYTES + "; not safetensors?)");
            }
            if (8 + n > size) {
                throw new ModelFormatException(path, null, "header length " + n + " runs past the end of the file ("
                        + size + " bytes; truncated?)");
            }
            byte[] json = seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            if (json[0] != '{') {
                throw new ModelFormatException(path, null, "header does not start with '{' (not safetensors?)");
            }
            MemorySegment data = seg.asSlice(8 + n);
            SafetensorsHeader header = SafetensorsHeader.parse(path, json, data.byteSize());
            return new SafetensorsFile(mapped, header, data);
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    public Path path() {
        return file.path();
    }

    public SafetensorsHeader header() {
        return header;
    }

    @Override
    public Set<String> names() {
        return header.entries().keySet();
    }

    @Override
    public TensorData tensor(String name) {
        SafetensorsEntry e = header.entries().get(name);
        if (e == null) {
            throw new ModelFormatException(file.path(), name, "no such tensor in this file");
        }
        return new TensorData(name, e.dtype(), e.shape().clone(), data.asSlice(e.begin(), e.byteSize()));
    }

    @Override
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(header.metadata()));
    }

    @Override
    public void close() {
        file.close();
    }
}

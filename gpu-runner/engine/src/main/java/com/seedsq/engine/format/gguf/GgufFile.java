package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.io.MappedFile;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A memory-mapped GGUF file (versions 2 and 3, little-endian): header, metadata key-values, tensor infos, and the
 * data section that starts at the next multiple of {@code general.alignment} (default 32).
 *
 * <p>Everything is validated in {@link #open(Path)}: value types, string lengths, tensor dims, types, alignment,
 * and that tensor byte ranges lie inside the data section without overlapping. The engine computes in F32/F16/BF16
 * (and reads I8/I32); quantized ggml types are refused up front, naming the type and the first such tensor,
 * because dequantizing them is not what a SmoothQuant run should silently do.
 *
 * <p>Shapes are reported outermost-first: GGUF stores {@code ne[0]} (the innermost, contiguous dimension) first,
 * so a GGUF {@code [4096, 11008]} matrix is a {@code [11008, 4096]} TensorData, i.e. [out, in] like HF.
 */
public final class GgufFile implements WeightSource {

    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;

    private final MappedFile file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final MemorySegment data;

    private GgufFile(MappedFile file, int version, Map<String, Object> metadata, Map<String, GgufTensorInfo> tensors,
                     MemorySegment data) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.data = data;
    }

    public static GgufFile open(Path path) {
        MappedFile mapped = MappedFile.open(path);
        try {
            return parse(path, mapped);
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, MappedFile mapped) {
        GgufCursor c = new GgufCursor(path, mapped.segment());
        int magic = c.u32();
        if (magic != MAGIC) {
            throw new ModelFormatException(path, null, String.format("bad magic 0x%08x: not a GGUF file", magic));
        }
        int version = c.u32();
        if (version == 1) {
            throw new ModelFormatException(path, null, "GGUF version 1 is obsolete and not supported (re-convert to v3)");
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian GGUF; only little-endian is supported)" : "";
            throw new ModelFormatException(path, null, "unsupported GGUF version " + Integer.toUnsignedString(version) + hint);
        }
        long tensorCount = c.u64();
        long kvCount = c.u64();
        long size = mapped.size();
        // Every tensor info and key-value takes at least 8 bytes: a cheap bound against absurd counts.
        if (tensorCount < 0 || kvCount < 0 || tensorCount > size / 8 || kvCount > size / 8) {
            throw new ModelFormatException(path, null, "implausible counts: " + Long.toUnsignedString(tensorCount)
                    + " tensors, " + Long.toUnsignedString(kvCount) + " metadata entries in a file of " + size + " bytes");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            c.context = "metadata entry " + i;
            String key = c.string();
            c.context = "metadata key '" + key + "'";
            int typeId = c.u32();
            if (metadata.put(key, readValue(path, c, typeId, key, 0)) != null) {
                throw new ModelFormatException(path, null, "metadata key '" + key + "' appears twice");
            }
        }
        int alignment = alignment(path, metadata);

        List<GgufTensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            c.context = "tensor info " + i;
            infos.add(readTensorInfo(path, c));
        }
        long dataStart = alignUp(c.position(), alignment);
        if (dataStart > size) {
            throw new ModelFormatException(path, null, "data section would start at " + dataStart
                    + ", past the end of the file (" + size + " bytes)");
        }
        MemorySegment data = mapped.segment().asSlice(dataStart);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : infos) {
            validate(path, t, alignment, data.byteSize());
            if (byName.put(t.name(), t) != null) {
                throw new ModelFormatException(path, t.name(), "tensor name appears twice");
            }
        }
        checkOverlap(path, infos);
        return new GgufFile(mapped, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(byName), data);
    }

    private static Object readValue(Path path, GgufCursor c, int typeId, String key, int depth) {
        GgufValueType type = GgufValueType.byId(typeId);
        if (type == null) {
            throw new ModelFormatException(path, null, "metadata key '" + key + "' has unknown value type " + typeId);
        }
        return switch (type) {
            case UINT8 -> c.u8() & 0xff;
            case INT8 -> (int) c.u8();
            case UINT16 -> c.u16() & 0xffff;
            case INT16 -> (int) c.u16();
            case UINT32 -> Integer.toUnsignedLong(c.u32());
            case INT32 -> c.u32();
            case FLOAT32 -> c.f32();
            case BOOL -> {
                byte b = c.u8();
                if (b != 0 && b != 1) {
                    throw new ModelFormatException(path, null, "metadata key '" + key + "': bool byte " + b + " is not 0 or 1");
                }
                yield b == 1;
            }
            case STRING -> c.string();
            case UINT64, INT64 -> c.u64(); // UINT64 above 2^63 would read negative; no real key gets there
            case FLOAT64 -> c.f64();
            case ARRAY -> {
                if (depth > 8) {
                    throw new ModelFormatException(path, null, "metadata key '" + key + "': arrays nested too deep");
                }
                int elemType = c.u32();
                long n = c.u64();
                if (n < 0 || n > Integer.MAX_VALUE - 8) {
                    throw new ModelFormatException(path, null, "metadata key '" + key + "': array length "
                            + Long.toUnsignedString(n) + " is implausible");
                }
                List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                for (long i = 0; i < n; i++) {
                    list.add(readValue(path, c, elemType, key, depth + 1));
                }
                yield Collections.unmodifiableList(list);
            }
        };
    }

    private static int alignment(Path path, Map<String, Object> metadata) {
        Object a = metadata.get("general.alignment");
        if (a == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(a instanceof Number n) || n.longValue() <= 0 || n.longValue() > (1 << 30) || Long.bitCount(n.longValue()) != 1) {
            throw new ModelFormatException(path, null, "general.alignment " + a + " is not a positive power of two");
        }
        return n.intValue();
    }

    private static GgufTensorInfo readTensorInfo(Path path, GgufCursor c) {
        String name = c.string();
        c.context = "tensor info '" + name + "'";
        int nDims = c.u32();
        if (nDims < 0 || nDims > MAX_DIMS) {
            throw new ModelFormatException(path, name, nDims + " dimensions (GGUF allows at most " + MAX_DIMS + ")");
        }
        long[] dims = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            dims[d] = c.u64();
            if (dims[d] < 0) {
                throw new ModelFormatException(path, name, "dimension " + d + " is " + Long.toUnsignedString(dims[d]));
            }
        }
        int typeId = c.u32();
        long offset = c.u64();
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) {
            throw new ModelFormatException(path, name, "unknown ggml type id " + typeId);
        }
        if (type.quantized() || type.dtype() == null) {
            throw new ModelFormatException(path, name, (type.quantized() ? "quantized " : "") + "GGUF type " + type
                    + " not supported (supported: F32, F16, BF16, I8, I32); use an unquantized GGUF");
        }
        long elements;
        try {
            elements = TensorData.elementCount(dims);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(path, name, "dimensions " + Arrays.toString(dims) + " overflow 64 bits");
        }
        long bytes = type.byteSize(nDims == 0 ? 1 : dims[0], elements);
        return new GgufTensorInfo(name, dims, type, offset, bytes);
    }

    private static void validate(Path path, GgufTensorInfo t, int alignment, long dataBytes) {
        if (t.offset() < 0 || t.offset() % alignment != 0) {
            throw new ModelFormatException(path, t.name(), "data offset " + Long.toUnsignedString(t.offset())
                    + " is not a multiple of the alignment " + alignment);
        }
        if (t.offset() + t.byteSize() > dataBytes || t.offset() + t.byteSize() < 0) {
            throw new ModelFormatException(path, t.name(), "bytes [" + t.offset() + ", " + (t.offset() + t.byteSize())
                    + ") of the data section run past its end (" + dataBytes + " bytes; truncated?)");
        }
    }

    private static void checkOverlap(Path path, List<GgufTensorInfo> infos) {
        List<GgufTensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo prev = sorted.get(i - 1);
            GgufTensorInfo cur = sorted.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize() && cur.byteSize() > 0) {
                throw new ModelFormatException(path, cur.name(), "bytes from offset " + cur.offset()
                        + " overlap tensor '" + prev.name() + "' [" + prev.offset() + ", " + (prev.offset() + prev.byteSize()) + ")");
            }
        }
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return file.path();
    }

    public int version() {
        return version;
    }

    /** Tensor infos in file order, dims as stored (innermost first). */
    public Map<String, GgufTensorInfo> tensorInfos() {
        return tensors;
    }

    /** {@code general.architecture}, e.g. "llama", or null. */
    public String architecture() {
        return metadata.get("general.architecture") instanceof String s ? s : null;
    }

    /** The vocabulary stored under {@code tokenizer.ggml.*}, if any. */
    public Optional<GgufTokenizerData> tokenizerData() {
        return GgufTokenizerData.from(metadata, file.path());
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorData tensor(String name) {
        GgufTensorInfo t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(file.path(), name, "no such tensor in this file");
        }
        return new TensorData(name, t.type().dtype(), t.shape(), data.asSlice(t.offset(), t.byteSize()));
    }

    /** All metadata key-values: integers as Integer (Long for UINT32/64-bit), floats as Float/Double, arrays as List. */
    @Override
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        file.close();
    }
}

package com.seedsq.engine.format.tfbundle;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.io.MappedFile;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * A TensorFlow tensor bundle (the {@code variables/} of a SavedModel or a checkpoint): a LevelDB-format table
 * {@code PREFIX.index} mapping tensor names to {@code BundleEntryProto}, and raw little-endian data shards
 * {@code PREFIX.data-0000i-of-0000n}. Both are memory-mapped; nothing is copied.
 *
 * <p>{@link #open(Path)} checks the footer magic, every block's trailer CRC, and that every entry's byte range lies
 * in its shard and matches dtype × shape. Tensor checksums cost a pass over all data, so they are verified by
 * {@link #verifyChecksums()} on request (the importer always does).
 */
public final class TfBundle implements WeightSource {

    /** {@code kTableMagicNumber} of LevelDB, as a little-endian uint64 in the last 8 bytes. */
    static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_BYTES = 48;
    private static final int BLOCK_TRAILER_BYTES = 5;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path indexFile;
    private final MappedFile index;
    private final List<MappedFile> shards;
    private final Map<String, BundleEntry> entries;

    private TfBundle(Path indexFile, MappedFile index, List<MappedFile> shards, Map<String, BundleEntry> entries) {
        this.indexFile = indexFile;
        this.index = index;
        this.shards = shards;
        this.entries = entries;
    }

    /**
     * Opens a bundle given its prefix ({@code .../variables/variables}), its {@code .index} file, or a directory
     * that holds {@code variables.index} directly or under {@code variables/}.
     */
    public static TfBundle open(Path location) {
        Path prefix = resolvePrefix(location);
        Path indexFile = prefix.resolveSibling(prefix.getFileName() + ".index");
        MappedFile index = MappedFile.open(indexFile);
        List<MappedFile> shards = new ArrayList<>();
        try {
            Map<String, BundleEntry> entries = new LinkedHashMap<>();
            int numShards = readTable(indexFile, index.segment(), entries);
            for (int i = 0; i < numShards; i++) {
                Path shard = prefix.resolveSibling(String.format("%s.data-%05d-of-%05d", prefix.getFileName(), i, numShards));
                if (!Files.isRegularFile(shard)) {
                    throw new ModelFormatException(shard, null, "data shard " + i + " of " + numShards + " is missing");
                }
                shards.add(MappedFile.open(shard));
            }
            for (BundleEntry e : entries.values()) {
                validate(indexFile, e, shards);
            }
            return new TfBundle(indexFile, index, List.copyOf(shards), Collections.unmodifiableMap(entries));
        } catch (RuntimeException e) {
            shards.forEach(MappedFile::close);
            index.close();
            throw e;
        }
    }

    private static Path resolvePrefix(Path location) {
        if (Files.isDirectory(location)) {
            if (Files.exists(location.resolve("variables.index"))) {
                return location.resolve("variables");
            }
            if (Files.exists(location.resolve("variables").resolve("variables.index"))) {
                return location.resolve("variables").resolve("variables");
            }
            throw new ModelFormatException(location, null, "no variables.index here or under variables/");
        }
        String name = location.getFileName().toString();
        return name.endsWith(".index") ? location.resolveSibling(name.substring(0, name.length() - 6)) : location;
    }

    /** Reads footer, index block and data blocks into {@code out}; returns the header's shard count. */
    private static int readTable(Path file, MemorySegment seg, Map<String, BundleEntry> out) {
        long size = seg.byteSize();
        if (size < FOOTER_BYTES) {
            throw new ModelFormatException(file, null, "file has " + size + " bytes, shorter than the 48-byte table footer");
        }
        MemorySegment footer = seg.asSlice(size - FOOTER_BYTES);
        long magic = footer.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), FOOTER_BYTES - 8);
        if (magic != TABLE_MAGIC) {
            throw new ModelFormatException(file, null, String.format(
                    "bad table magic 0x%016x (expected 0x%016x): not a tensor-bundle index or truncated", magic, TABLE_MAGIC));
        }
        int numShards = 1;
        boolean sawHeader = false;
        try {
            ProtoCursor fc = new ProtoCursor(footer);
            BlockHandle.read(fc); // metaindex: unused by tensor bundles
            BlockHandle indexHandle = BlockHandle.read(fc);
            for (TableBlock.Entry ie : TableBlock.entries(block(file, seg, indexHandle, "index block"))) {
                BlockHandle dataHandle = BlockHandle.read(new ProtoCursor(ie.value()));
                for (TableBlock.Entry de : TableBlock.entries(block(file, seg, dataHandle, "data block"))) {
                    if (de.key().isEmpty()) {
                        numShards = readHeader(file, de.value());
                        sawHeader = true;
                    } else if (out.put(de.key(), BundleEntry.parse(de.key(), de.value())) != null) {
                        throw new ModelFormatException(file, de.key(), "appears twice in the index");
                    }
                }
            }
        } catch (IllegalStateException e) {
            throw new ModelFormatException(file, null, "corrupt table: " + e.getMessage(), e);
        }
        if (!sawHeader) {
            throw new ModelFormatException(file, null, "no bundle header entry (empty key): not a tensor bundle");
        }
        return numShards;
    }

    /** The block's bytes after checking its 5-byte trailer: compression type 0 and the masked CRC-32C. */
    private static MemorySegment block(Path file, MemorySegment seg, BlockHandle h, String what) {
        if (h.offset() < 0 || h.size() < 0 || h.offset() + h.size() + BLOCK_TRAILER_BYTES > seg.byteSize() - FOOTER_BYTES) {
            throw new ModelFormatException(file, null, what + " at offset " + h.offset() + " size " + h.size()
                    + " runs past the table data (" + (seg.byteSize() - FOOTER_BYTES) + " bytes)");
        }
        MemorySegment contents = seg.asSlice(h.offset(), h.size());
        byte type = seg.get(ValueLayout.JAVA_BYTE, h.offset() + h.size());
        if (type != 0) {
            throw new ModelFormatException(file, null, what + " at offset " + h.offset()
                    + " is compressed (type " + type + "); only uncompressed tables are supported");
        }
        CRC32C crc = new CRC32C();
        Crc32c.update(crc, seg.asSlice(h.offset(), h.size() + 1)); // the CRC covers contents and type byte
        int stored = seg.get(I32_LE, h.offset() + h.size() + 1);
        int actual = Crc32c.mask((int) crc.getValue());
        if (stored != actual) {
            throw new ModelFormatException(file, null, String.format("%s at offset %d: CRC mismatch (stored 0x%08x, computed 0x%08x)",
                    what, h.offset(), stored, actual));
        }
        return contents;
    }

    /** {@code BundleHeaderProto}: 1 num_shards, 2 endianness (0 little), 3 version. */
    private static int readHeader(Path file, MemorySegment proto) {
        ProtoCursor c = new ProtoCursor(proto);
        int numShards = 1;
        while (c.hasMore()) {
            long tag = c.readVarint();
            int field = (int) (tag >>> 3);
            if (field == 1) {
                numShards = c.readVarint32();
            } else if (field == 2) {
                if (c.readVarint() != 0) {
                    throw new ModelFormatException(file, null, "big-endian bundle; only little-endian is supported");
                }
            } else {
                c.skipField((int) (tag & 7));
            }
        }
        if (numShards < 1) {
            throw new ModelFormatException(file, null, "bundle header claims " + numShards + " shards");
        }
        return numShards;
    }

    private static void validate(Path file, BundleEntry e, List<MappedFile> shards) {
        if (e.sliced()) {
            return; // a partitioned variable: its slices are separate entries; tensor() refuses it
        }
        if (e.shardId() < 0 || e.shardId() >= shards.size()) {
            throw new ModelFormatException(file, e.name(), "shard_id " + e.shardId() + " but the bundle has "
                    + shards.size() + " shards");
        }
        long shardSize = shards.get(e.shardId()).size();
        if (e.offset() < 0 || e.size() < 0 || e.offset() + e.size() > shardSize) {
            throw new ModelFormatException(file, e.name(), "bytes [" + e.offset() + ", " + (e.offset() + e.size())
                    + ") run past the end of data shard " + e.shardId() + " (" + shardSize + " bytes; truncated?)");
        }
        DType dtype = TfDataType.toDType(e.dtype());
        if (dtype != null) {
            long expected = TensorData.elementCount(e.shape()) * dtype.bytes();
            if (expected != e.size()) {
                throw new ModelFormatException(file, e.name(), "size " + e.size() + " bytes but " + dtype
                        + Arrays.toString(e.shape()) + " needs " + expected);
            }
        }
    }

    /**
     * Recomputes every tensor's CRC-32C and compares it with the stored masked value; throws naming the first tensor
     * that differs. Returns the number of tensors checked.
     */
    public int verifyChecksums() {
        int n = 0;
        for (BundleEntry e : entries.values()) {
            if (e.sliced() || !e.hasCrc()) {
                continue;
            }
            int actual = Crc32c.mask(Crc32c.of(bytes(e)));
            if (actual != e.maskedCrc32c()) {
                throw new ModelFormatException(shardPath(e), e.name(), String.format(
                        "CRC32C mismatch (stored masked 0x%08x, computed 0x%08x): data corrupt", e.maskedCrc32c(), actual));
            }
            n++;
        }
        return n;
    }

    private MemorySegment bytes(BundleEntry e) {
        return shards.get(e.shardId()).segment().asSlice(e.offset(), e.size());
    }

    private Path shardPath(BundleEntry e) {
        return shards.get(e.shardId()).path();
    }

    public Path indexFile() {
        return indexFile;
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public TensorData tensor(String name) {
        BundleEntry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(indexFile, name, "no such tensor in this bundle");
        }
        if (e.sliced()) {
            throw new ModelFormatException(indexFile, name, "partitioned (sliced) variables are not supported");
        }
        DType dtype = TfDataType.toDType(e.dtype());
        if (dtype == null) {
            throw new ModelFormatException(indexFile, name, TfDataType.name(e.dtype()) + " is not supported");
        }
        return new TensorData(name, dtype, e.shape().clone(), bytes(e));
    }

    /** Bundle facts: {@code num_shards} and the tensor count. */
    @Override
    public Map<String, Object> metadata() {
        return Map.of("num_shards", shards.size(), "tensor_count", entries.size());
    }

    @Override
    public void close() {
        shards.forEach(MappedFile::close);
        index.close();
    }
}

package com.seedsq.engine.format.safetensors;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tensor.DType;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file.
 *
 * <p>Validation is complete and up front, like the reference Rust implementation: every dtype is known, every
 * shape is non-negative, every byte range matches dtype × shape, and the ranges tile the data buffer exactly (no
 * overlap, no hole, nothing past the end). A file that passes can be sliced without further checks.
 */
public final class SafetensorsHeader {

    /** Key of the optional string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Same bound as the reference implementation: a header this large is corrupt, not a model. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Map<String, SafetensorsEntry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(Map<String, SafetensorsEntry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Entries in file order (ascending offsets). */
    public Map<String, SafetensorsEntry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Parses {@code json} and checks it against a data buffer of {@code dataBytes} bytes.
     *
     * @param file only for messages
     */
    static SafetensorsHeader parse(Path file, byte[] json, long dataBytes) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new ModelFormatException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsEntry> list = new ArrayList<>();
        List<SafetensorsEntry> all = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                // BOOL tensors are attention-mask buffers some checkpoints carry (GPT-NeoX's attention.bias); no
                // weight is boolean, so they are validated like any entry and then left out
                JsonNode dt = e.getValue().get("dtype");
                boolean mask = dt != null && dt.isString() && dt.asString().equals("BOOL");
                SafetensorsEntry entry = readEntry(file, e.getKey(), e.getValue(), dataBytes, mask);
                all.add(entry);
                if (!mask) {
                    list.add(entry);
                }
            }
        }
        checkTiling(file, all, dataBytes);
        Map<String, SafetensorsEntry> byName = new LinkedHashMap<>();
        for (SafetensorsEntry entry : list) {
            byName.put(entry.name(), entry);
        }
        return new SafetensorsHeader(Collections.unmodifiableMap(byName), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, null, METADATA_KEY + " must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isString()) {
                throw new ModelFormatException(file, null,
                        METADATA_KEY + " value for '" + m.getKey() + "' must be a string, got " + m.getValue());
            }
            out.put(m.getKey(), m.getValue().asString());
        }
    }

    private static SafetensorsEntry readEntry(Path file, String name, JsonNode node, long dataBytes, boolean mask) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, name, "header entry must be an object with dtype, shape, data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isString()) {
            throw new ModelFormatException(file, name, "missing or non-string 'dtype'");
        }
        DType dtype = mask ? DType.I8 : parseDType(file, name, dtypeNode.asString()); // BOOL: one byte, like I8
        long[] shape = readLongs(file, name, node.get("shape"), "shape", -1);
        long[] offsets = readLongs(file, name, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataBytes) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] run past the end of the data buffer (" + dataBytes + " bytes; file truncated?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elementCount(shape), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new ModelFormatException(file, name, "shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (end - begin != expected) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but " + dtype + Arrays.toString(shape) + " needs " + expected);
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    static DType parseDType(Path file, String name, String s) {
        return switch (s) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I8" -> DType.I8;
            case "I32" -> DType.I32;
            default -> throw new ModelFormatException(file, name,
                    "unsupported dtype '" + s + "' (supported: F32, F16, BF16, I8, I32)");
        };
    }

    private static long[] readLongs(Path file, String name, JsonNode node, String field, int requiredLength) {
        if (node == null || !node.isArray()) {
            throw new ModelFormatException(file, name, "missing or non-array '" + field + "'");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new ModelFormatException(file, name, "'" + field + "' must have " + requiredLength
                    + " elements, has " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new ModelFormatException(file, name, "'" + field + "' element " + i
                        + " must be a non-negative integer, got " + v);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The ranges must cover [0, dataBytes) exactly once, as the format requires. */
    private static void checkTiling(Path file, List<SafetensorsEntry> list, long dataBytes) {
        list.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        long cursor = 0;
        SafetensorsEntry previous = null;
        for (SafetensorsEntry e : list) {
            if (e.begin() < cursor) {
                throw new ModelFormatException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > cursor) {
                throw new ModelFormatException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave a hole of " + (e.begin() - cursor) + " bytes after offset " + cursor);
            }
            cursor = e.end();
            previous = e;
        }
        if (cursor != dataBytes) {
            throw new ModelFormatException(file, null, "tensors cover " + cursor + " bytes but the data buffer has "
                    + dataBytes + " (" + (dataBytes - cursor) + " trailing bytes)");
        }
    }
}

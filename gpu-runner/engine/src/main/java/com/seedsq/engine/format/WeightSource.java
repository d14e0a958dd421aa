package com.seedsq.engine.format;

import com.seedsq.engine.tensor.TensorData;

import java.util.Map;
import java.util.Set;

/**
 * The tensors of one checkpoint, by the names the file gives them, plus the metadata the file carries (HF
 * config.json keys, GGUF key-values, llama2.c header fields). Loaders map files and validate offsets up front;
 * closing the source unmaps them, so callers must not keep tensors past {@link #close()}.
 */
public interface WeightSource extends AutoCloseable {

    Set<String> names();

    /** The tensor, or a {@link ModelFormatException} naming the missing tensor. */
    TensorData tensor(String name);

    default boolean has(String name) {
        return names().contains(name);
    }

    /** Format metadata as plain JSON-like values (String, Number, Boolean, List, Map). */
    Map<String, Object> metadata();

    @Override
    void close();
}

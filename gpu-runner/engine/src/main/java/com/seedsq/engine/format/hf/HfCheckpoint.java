package com.seedsq.engine.format.hf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.safetensors.SafetensorsFile;
import com.seedsq.engine.tensor.TensorData;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model directory: {@code config.json} plus either {@code model.safetensors} or the shards listed by
 * {@code model.safetensors.index.json}. All shards are mapped and validated when the directory is opened, and every
 * tensor the index names is checked to exist in its shard, so a broken download fails here and not mid-forward.
 *
 * <p>{@link #metadata()} is {@code config.json} as plain values (String, Number, Boolean, List, Map).
 */
public final class HfCheckpoint implements WeightSource {

    public static final String CONFIG = "config.json";
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path directory;
    private final Map<String, Object> config;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byTensor;

    private HfCheckpoint(Path directory, Map<String, Object> config, List<SafetensorsFile> shards,
                         Map<String, SafetensorsFile> byTensor) {
        this.directory = directory;
        this.config = config;
        this.shards = shards;
        this.byTensor = byTensor;
    }

    public static HfCheckpoint open(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new ModelFormatException(directory, null, "not a directory");
        }
        Map<String, Object> config = readJsonObject(directory.resolve(CONFIG));
        Path single = directory.resolve(SINGLE);
        Path index = directory.resolve(INDEX);
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            if (Files.exists(index)) {
                openSharded(directory, index, opened, byTensor);
            } else if (Files.exists(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                opened.add(f);
                for (String name : f.names()) {
                    byTensor.put(name, f);
                }
            } else {
                String hint = Files.exists(directory.resolve("pytorch_model.bin"))
                        ? " (pytorch_model.bin found: only safetensors checkpoints are supported; convert it first)" : "";
                throw new ModelFormatException(directory, null, "neither " + SINGLE + " nor " + INDEX + " found" + hint);
            }
            return new HfCheckpoint(directory, config, List.copyOf(opened), Collections.unmodifiableMap(byTensor));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static void openSharded(Path directory, Path index, List<SafetensorsFile> opened,
                                    Map<String, SafetensorsFile> byTensor) {
        Map<String, Object> root = readJsonObject(index);
        if (!(root.get("weight_map") instanceof Map<?, ?> weightMap) || weightMap.isEmpty()) {
            throw new ModelFormatException(index, null, "missing or empty 'weight_map'");
        }
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : weightMap.entrySet()) {
            String tensor = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof String shardName)) {
                throw new ModelFormatException(index, tensor, "weight_map value must be a shard file name");
            }
            Path base = directory.toAbsolutePath().normalize();
            Path shardPath = base.resolve(shardName).normalize();
            if (!base.equals(shardPath.getParent())) { // "../x" or "sub/x" would read outside the checkpoint
                throw new ModelFormatException(index, tensor, "shard '" + shardName + "' is outside the model directory");
            }
            SafetensorsFile shard = byShard.get(shardName);
            if (shard == null) {
                if (!Files.isRegularFile(shardPath)) {
                    throw new ModelFormatException(index, tensor, "shard '" + shardName + "' does not exist");
                }
                shard = SafetensorsFile.open(shardPath);
                opened.add(shard);
                byShard.put(shardName, shard);
            }
            if (!shard.has(tensor)) {
                throw new ModelFormatException(shardPath, tensor, "listed in " + INDEX + " but absent from this shard");
            }
            byTensor.put(tensor, shard);
        }
    }

    /** Reads a JSON object file into plain maps; any problem names the file. */
    public static Map<String, Object> readJsonObject(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, "file is missing");
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(file, null, "not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = JSON.treeToValue(node, LinkedHashMap.class);
            return Collections.unmodifiableMap(map);
        } catch (JacksonException e) {
            throw new ModelFormatException(file, null, "invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    public Path directory() {
        return directory;
    }

    /** {@code config.json}; same as {@link #metadata()}. */
    public Map<String, Object> config() {
        return config;
    }

    /** Convenience for integer config keys such as {@code hidden_size}; throws naming the key when absent. */
    public int configInt(String key) {
        if (!(config.get(key) instanceof Number n)) {
            throw new ModelFormatException(directory.resolve(CONFIG), null, "missing numeric '" + key + "'");
        }
        return n.intValue();
    }

    public List<Path> shardFiles() {
        return shards.stream().map(SafetensorsFile::path).toList();
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public TensorData tensor(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new ModelFormatException(directory, name, "no such tensor in this checkpoint");
        }
        return f.tensor(name);
    }

    @Override
    public Map<String, Object> metadata() {
        return config;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}

package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.llama2c.Llama2cCheckpoint;
import com.seedsq.engine.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;

/** A checkpoint together with what it is: its family and config. Closing it closes (unmaps) the weights. */
public record Model(ModelFamily family, ModelConfig config, WeightSource weights, Path file) implements AutoCloseable {

    /**
     * Opens a model file. Today: llama2.c v0 checkpoints ({@code .bin}); other formats register here as their
     * loaders land (safetensors + config.json, GGUF, TF bundles).
     */
    public static Model open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, "no such model file");
        }
        String name = file.getFileName().toString();
        if (name.endsWith(".bin")) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file);
            return new Model(Families.LLAMA2C, ModelConfig.fromLlama2c(ckpt.metadata()), ckpt, file);
        }
        throw new ModelFormatException(file, null, "unsupported model file (known: llama2.c .bin)");
    }

    /** Number of weights the network uses (tensors the family names; a tied classifier counts once). */
    public long parameterCount() {
        long n = 0;
        for (String t : weights.names()) {
            n += weights.tensor(t).elementCount();
        }
        return n;
    }

    /** The dtype of the token embedding, as the checkpoint stores it. */
    public DType dtype() {
        return weights.tensor(family.tensorName(TensorRole.EMBED)).dtype();
    }

    @Override
    public void close() {
        weights.close();
    }
}

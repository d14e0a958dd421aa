package com.seedsq.engine.format.detect;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.gguf.GgufFile;
import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.format.llama2c.Llama2cCheckpoint;
import com.seedsq.engine.format.safetensors.SafetensorsFile;
import com.seedsq.engine.format.tfbundle.TfBundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens whatever checkpoint a user hands over, by looking at it rather than trusting its name where the format
 * allows: GGUF by magic, safetensors by its length-prefixed JSON header, HF and TF SavedModel directories by their
 * files; llama2.c files have no magic, so {@code .bin} is taken to be one.
 */
public final class WeightSources {

    /** The formats {@link #detect(Path)} knows. */
    public enum Format { HF_DIRECTORY, SAFETENSORS, GGUF, TF_BUNDLE, LLAMA2C }

    private WeightSources() {
    }

    public static WeightSource open(Path path) {
        return switch (detect(path)) {
            case HF_DIRECTORY -> HfCheckpoint.open(path);
            case SAFETENSORS -> SafetensorsFile.open(path);
            case GGUF -> GgufFile.open(path);
            case TF_BUNDLE -> TfBundle.open(path);
            case LLAMA2C -> Llama2cCheckpoint.open(path);
        };
    }

    public static Format detect(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve(HfCheckpoint.CONFIG))
                    && (Files.exists(path.resolve(HfCheckpoint.SINGLE)) || Files.exists(path.resolve(HfCheckpoint.INDEX)))) {
                return Format.HF_DIRECTORY;
            }
            if (Files.exists(path.resolve("variables.index")) || Files.exists(path.resolve("variables/variables.index"))) {
                return Format.TF_BUNDLE;
            }
            throw new ModelFormatException(path, null, "directory holds neither a Hugging Face checkpoint "
                    + "(config.json + model.safetensors[.index.json]) nor a TensorFlow variables.index");
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException(path, null, "no such file or directory");
        }
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ModelFormatException(path, null, "cannot read: " + e.getMessage(), e);
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            return Format.GGUF;
        }
        if (n == 9 && head[8] == '{') {
            long len = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (len > 1 && len < 100L * 1024 * 1024) {
                return Format.SAFETENSORS;
            }
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            return Format.SAFETENSORS; // let the reader say precisely what is wrong with it
        }
        if (name.endsWith(".index")) {
            return Format.TF_BUNDLE;
        }
        if (name.endsWith(".bin")) {
            return Format.LLAMA2C;
        }
        throw new ModelFormatException(path, null, "unrecognized model format (expected GGUF, safetensors, "
                + "a Hugging Face or SavedModel directory, or a llama2.c .bin)");
    }
}

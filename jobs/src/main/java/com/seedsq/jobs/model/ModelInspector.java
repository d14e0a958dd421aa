package com.seedsq.jobs.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.hf.NonFiniteScan;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.model.Model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Decides what an uploaded set of files is and asks the engine to open it, so that a model is accepted only if the
 * engine can actually run it: every header and offset validated, every tensor the forward pass needs present with the
 * shape the config implies, every weight finite. The upload API calls
 * it before anything is stored, and the job's validate step calls it again on what it downloads.
 *
 * <p>Recognised layouts: a Hugging Face directory ({@code config.json} + safetensors), one {@code .gguf} file, or a
 * llama2.c checkpoint {@code .bin} with its tokenizer ({@code tokenizer.bin} or {@code tok*.bin}).
 */
public final class ModelInspector {

    private ModelInspector() {
    }

    /** Inspects the model files in {@code dir}; throws {@link ModelFormatException} naming the file at fault. */
    public static ModelSummary inspect(Path dir) {
        List<Path> files = regularFiles(dir);
        for (Path f : files) {
            if (size(f) == 0) {
                throw new ModelFormatException(f, null, "the file is empty");
            }
        }
        Path checkpoint;
        Path tokenizer = null;
        String format;
        if (files.stream().anyMatch(f -> name(f).equals("config.json"))) {
            checkpoint = dir;
            format = "hf";
        } else if (files.stream().anyMatch(f -> name(f).endsWith(".gguf"))) {
            List<Path> ggufs = files.stream().filter(f -> name(f).endsWith(".gguf")).toList();
            if (ggufs.size() > 1) {
                throw new ModelFormatException(ggufs.get(1), null, "upload one .gguf file per model, found " + ggufs.size());
            }
            checkpoint = ggufs.getFirst();
            format = "gguf";
        } else {
            List<Path> bins = files.stream().filter(f -> name(f).endsWith(".bin")).toList();
            List<Path> tokenizers = bins.stream().filter(ModelInspector::isLlama2cTokenizer).toList();
            List<Path> checkpoints = bins.stream().filter(f -> !isLlama2cTokenizer(f)).toList();
            if (checkpoints.size() != 1) {
                throw new ModelFormatException(null, null, "expected a Hugging Face directory (config.json + "
                        + "*.safetensors), a .gguf file, or one llama2.c checkpoint .bin with its tokenizer; got "
                        + files.stream().map(ModelInspector::name).toList());
            }
            checkpoint = checkpoints.getFirst();
            tokenizer = tokenizers.isEmpty() ? null : tokenizers.getFirst();
            format = "llama2c";
        }
        try (Model model = Model.open(checkpoint); ScalarKernels kernels = new ScalarKernels()) {
            // Binding the forward pass checks every tensor the family needs: present, and shaped as the config says.
            Transformer.of(model, kernels);
            NonFiniteScan.requireFinite(model.weights(), checkpoint);
            var c = model.config();
            return new ModelSummary(format, model.family().name(), model.parameterCount(), c.layers(), c.hiddenSize(),
                    c.vocabSize(), c.maxSeq(), model.dtype().name(), dir.relativize(checkpoint).toString(),
                    tokenizer == null ? null : dir.relativize(tokenizer).toString());
        }
    }

    private static boolean isLlama2cTokenizer(Path f) {
        String n = name(f).toLowerCase(Locale.ROOT);
        return n.equals("tokenizer.bin") || n.startsWith("tok");
    }

    private static List<Path> regularFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.filter(Files::isRegularFile).sorted().toList());
            if (files.isEmpty()) {
                throw new ModelFormatException(null, null, "the upload has no files");
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String name(Path f) {
        return f.getFileName().toString();
    }
}

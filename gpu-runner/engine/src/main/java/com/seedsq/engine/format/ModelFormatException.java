package com.seedsq.engine.format;

import java.nio.file.Path;

/**
 * A model file that cannot be used. The message always names the file, the tensor (when one is at fault) and what
 * was wrong, because the service shows it to the user verbatim.
 */
public class ModelFormatException extends RuntimeException {

    private final Path file;
    private final String tensor;

    public ModelFormatException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public ModelFormatException(Path file, String tensor, String problem, Throwable cause) {
        super(describe(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String describe(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file.getFileName()).append(": ");
        }
        if (tensor != null) {
            sb.append("tensor '").append(tensor).append("': ");
        }
        return sb.append(problem).toString();
    }

    public Path file() {
        return file;
    }

    /** The tensor at fault, or null when the problem is the file as a whole. */
    public String tensor() {
        return tensor;
    }
}

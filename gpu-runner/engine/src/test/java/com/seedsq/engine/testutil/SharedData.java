package com.seedsq.engine.testutil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The read-only shared test data (../shared/data, path from the {@code sq.shared.dir} system property). */
public final class SharedData {

    private SharedData() {
    }

    public static Path dir() {
        String p = System.getProperty("sq.shared.dir", "../../../shared");
        return Path.of(p, "data").toAbsolutePath().normalize();
    }

    /** The file, or the test is skipped with a message saying what is missing. */
    public static Path require(String relative) {
        Path f = dir().resolve(relative);
        assumeTrue(Files.exists(f), "../shared/data missing: " + f + " (set -Dsq.shared.dir); skipping");
        return f;
    }

    public static boolean available(String relative) {
        return Files.exists(dir().resolve(relative));
    }

    public static Path model() {
        return require("models/stories260K/stories260K.bin");
    }

    public static Path tokenizer() {
        return require("models/stories260K/tok512.bin");
    }

    /** Comma-separated ints (one line or several). */
    public static int[] ids(Path file) {
        return Arrays.stream(read(file).split("[,\\s]+")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt)
                .toArray();
    }

    /** A CSV of floats, one row per line. */
    public static float[][] floatRows(Path file) {
        List<String> lines = read(file).lines().filter(l -> !l.isBlank()).toList();
        float[][] rows = new float[lines.size()][];
        for (int i = 0; i < rows.length; i++) {
            String[] cells = lines.get(i).split(",");
            rows[i] = new float[cells.length];
            for (int j = 0; j < cells.length; j++) {
                rows[i][j] = Float.parseFloat(cells[j].trim());
            }
        }
        return rows;
    }

    public static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

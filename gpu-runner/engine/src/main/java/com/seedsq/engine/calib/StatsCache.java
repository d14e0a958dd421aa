package com.seedsq.engine.calib;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A directory of saved {@link ActivationStats}, one safetensors file per key. The key is the SHA-256 of the model's
 * bytes, the calibration token windows (which covers the text, the tokenizer and the tail slice) and the sequence
 * length, so a re-run with another α, level or weight granularity reuses the statistics, and any change to what
 * calibration would see makes a new key.
 */
public final class StatsCache {

    private final Path dir;

    public StatsCache(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String key) {
        return dir.resolve("calib-" + key + ".safetensors");
    }

    public Optional<ActivationStats> find(String key) {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ActivationStats.load(f));
        } catch (RuntimeException e) {
            return Optional.empty(); // unreadable (e.g. an older format): recalibrate and overwrite
        }
    }

    public Path put(ActivationStats stats) {
        return stats.save(file(stats.key()));
    }

    /** The cache key: hex SHA-256 over the model hash, the windows and seqLen (first 32 hex digits). */
    public static String key(String modelHash, int[][] windows, int seqLen) {
        MessageDigest md = sha256();
        md.update(modelHash.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        md.update(b.putInt(seqLen).putInt(windows.length).array());
        for (int[] w : windows) {
            ByteBuffer wb = ByteBuffer.allocate(4 + 4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
            wb.putInt(w.length);
            for (int id : w) {
                wb.putInt(id);
            }
            md.update(wb.array());
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    }

    /** Hex SHA-256 of a model file, or of every regular file under a model directory (sorted by path). */
    public static String hashModel(Path model) {
        MessageDigest md = sha256();
        try {
            List<Path> files;
            if (Files.isDirectory(model)) {
                try (Stream<Path> s = Files.walk(model)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
            } else {
                files = List.of(model);
            }
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                md.update(model.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash model " + model, e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

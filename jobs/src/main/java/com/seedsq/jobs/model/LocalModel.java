package com.seedsq.jobs.model;

import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.metadata.ModelFileRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A model's files on the runner's local disk, where the engine can memory-map them. Downloaded once per working
 * directory and checked against the sha256 recorded at upload, so a corrupted transfer never reaches the engine.
 */
public final class LocalModel {

    private LocalModel() {
    }

    public static Path materialize(ArtifactStore store, List<ModelFileRecord> files, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (ModelFileRecord f : files) {
            Path target = dir.resolve(f.path());
            if (Files.exists(target) && Files.size(target) == f.sizeBytes()) {
                continue; // already here from an earlier step or attempt; it was verified when it was written
            }
            Path partial = dir.resolve(f.path() + ".part");
            MessageDigest sha = sha256();
            try (InputStream in = new DigestInputStream(store.open(f.storageKey()), sha);
                 OutputStream out = Files.newOutputStream(partial)) {
                in.transferTo(out);
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(f.sha256())) {
                Files.deleteIfExists(partial);
                throw new IOException("model file " + f.path() + " read back from the artifact store has sha256 "
                        + actual + ", expected " + f.sha256() + " (the stored object is corrupt)");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return dir;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

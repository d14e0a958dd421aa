package com.seedsq.storage.artifact;

import java.util.Objects;

/**
 * An object in an {@link ArtifactStore}.
 *
 * @param key       the object's key (see {@link ArtifactKeys})
 * @param size      its length in bytes
 * @param sha256Hex the lower-case hex SHA-256 of its bytes, or {@code null} where the store does not know it. A
 *                  {@link ArtifactStore#put put} always knows it, because it hashes what it streams; {@code stat} and
 *                  {@code list} do not, because neither S3 nor a plain directory keeps a SHA-256 of the whole object
 *                  (recomputing would read it all). The metadata database is the record of checksums.
 */
public record StoredObject(String key, long size, String sha256Hex) {

    public StoredObject {
        Objects.requireNonNull(key, "key");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, was " + size);
        }
    }
}

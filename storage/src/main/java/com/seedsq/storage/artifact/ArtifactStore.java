package com.seedsq.storage.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where models, calibration sets and reports live: a flat namespace of immutable-by-convention objects addressed by
 * slash-separated keys ({@link ArtifactKeys} has the rules; every method rejects an invalid key or prefix with
 * {@link IllegalArgumentException}). Implementations: {@link LocalArtifactStore} (a directory, the embedded default)
 * and {@link S3ArtifactStore} (any S3 server, through the MinIO SDK).
 *
 * <p>Objects are streamed, never held whole in memory, and a put is all-or-nothing: readers see either the previous
 * object or the complete new one.
 */
public interface ArtifactStore {

    /**
     * Stores the bytes of {@code in} (read to the end, not closed) under {@code key}, replacing any existing object.
     *
     * @param size the exact number of bytes {@code in} holds, or -1 if unknown. A stream that ends early or holds more
     *             fails the put.
     * @return the stored object, with the SHA-256 computed while streaming
     * @throws IOException if reading {@code in} or writing fails; then no object (and no partial upload) is left under
     *                     {@code key}, and a previous object there is untouched. The exception: when S3 reports a
     *                     checksum other than that of the bytes sent (corruption on the way or at rest), the object
     *                     was already replaced; it is then deleted rather than left corrupt.
     */
    StoredObject put(String key, InputStream in, long size) throws IOException;

    /**
     * Opens the object for reading; the caller closes the stream.
     *
     * @throws java.nio.file.NoSuchFileException if there is no object under {@code key}
     */
    InputStream open(String key) throws IOException;

    /** The object's key and size (its {@code sha256Hex} is null, see {@link StoredObject}), or empty if absent. */
    Optional<StoredObject> stat(String key) throws IOException;

    /**
     * All objects under a folder prefix (e.g. {@code tenants/acme/}; "" lists everything), recursively, sorted by key.
     * The {@code sha256Hex} of each is null, see {@link StoredObject}.
     */
    List<StoredObject> list(String prefix) throws IOException;

    /** Deletes the object if it exists; deleting an absent key is not an error. */
    void delete(String key) throws IOException;

    /**
     * Deletes every object under a non-empty folder prefix (e.g. {@code tenants/acme/models/42/}).
     *
     * @return how many objects were deleted
     */
    int deletePrefix(String prefix) throws IOException;

    /**
     * A URL that lets anyone holding it download the object with a plain HTTP GET until it expires, so that large
     * downloads need not pass through the application.
     *
     * @param validity how long the URL stays valid, between 1 second and 7 days (the S3 limit)
     * @return the URL, or empty if this store cannot hand out URLs; the caller then streams {@link #open} itself
     */
    Optional<URI> presignedGetUrl(String key, Duration validity) throws IOException;

    /**
     * Removes the leftovers of puts that never finished under a folder prefix ("" for everything): on S3, multipart
     * uploads that were neither completed nor aborted (a crashed process leaves them, and S3 bills their parts); in a
     * directory, temporary files. Call it when no put under the prefix is in flight, e.g. at startup, since it would
     * abort those too.
     *
     * @return how many leftovers were removed
     */
    int abortIncompleteUploads(String prefix) throws IOException;

    /** Validates {@code validity} for {@link #presignedGetUrl}. */
    static Duration requireValidity(Duration validity) {
        if (validity == null || validity.compareTo(Duration.ofSeconds(1)) < 0 || validity.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException("presigned URL validity must be between 1 second and 7 days, was " + validity);
        }
        return validity;
    }
}

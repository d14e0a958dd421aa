package com.seedsq.storage.artifact;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.ObjectWriteResponse;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.Upload;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * An {@link ArtifactStore} in one S3 bucket, through the MinIO SDK; works with AWS S3, MinIO and S3Proxy.
 *
 * <p>It takes a {@link MinioAsyncClient} rather than a {@code MinioClient} because only the async client exposes
 * AbortMultipartUpload and the request machinery {@link MultipartUploads} builds on (the blocking client keeps them
 * hidden), and {@link #abortIncompleteUploads} needs both. Every call here still blocks until S3 answers.
 *
 * <p>Puts stream through the SDK, which holds one part (the part size, 16 MiB by default) in memory at a time and
 * uses a multipart upload for anything larger; if the stream fails midway the SDK aborts that upload. An object of
 * unknown size can be at most 10,000 parts (156 GiB at 16 MiB); for a known size the part size grows to fit.
 *
 * <p>End-to-end check: S3Proxy 2.6 answers {@code x-amz-checksum-sha256} with 501 Not Implemented, so the S3
 * checksum headers are no option. What S3Proxy, MinIO and AWS S3 without KMS encryption all return is an MD5-based
 * ETag: the hex MD5 of the object for a single PUT, and for a multipart upload the hex MD5 of the concatenated binary
 * part MD5s followed by {@code -N}. So the put computes that ETag from the bytes it streamed (next to the SHA-256 it
 * reports) and compares it with the server's; on a mismatch it deletes the object and fails. Over plain HTTP the SDK
 * also signs each part's SHA-256, which S3Proxy and S3 check on arrival. (S3Proxy holds each such signed request body
 * in memory to hash it and refuses bodies over {@code s3proxy.v4-max-non-chunked-request-size}, 128 MiB by default:
 * another reason for moderate parts.)
 *
 * <p>S3Proxy quirk (tests and development): with its file backends it keeps two placeholder blobs per pending
 * multipart upload at the bucket's top level, {@code .mpus-<id>-<key>-stub} and {@code <id>}, and lists them like
 * objects until the upload completes or is aborted. Listings under a folder prefix never include them.
 */
public final class S3ArtifactStore implements ArtifactStore {

    public static final long DEFAULT_PART_SIZE = 16L << 20;
    /** S3 rejects smaller parts (except the last). */
    public static final long MIN_PART_SIZE = 5L << 20;
    private static final long MAX_PARTS = 10_000;

    private final MinioAsyncClient client;
    private final MultipartUploads uploads;
    private final String bucket;
    private final long partSize;

    /** Same as {@code S3ArtifactStore(client, bucket, DEFAULT_PART_SIZE)}. */
    public S3ArtifactStore(MinioAsyncClient client, String bucket) throws IOException {
        this(client, bucket, DEFAULT_PART_SIZE);
    }

    /**
     * Uses {@code bucket}, creating it if missing, so that a fresh S3 server works without a setup step.
     *
     * @param partSize the multipart part size in bytes, at least {@link #MIN_PART_SIZE}; also the memory one put uses
     */
    public S3ArtifactStore(MinioAsyncClient client, String bucket, long partSize) throws IOException {
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("part size must be at least 5 MiB (an S3 limit), was " + partSize);
        }
        this.client = client;
        this.uploads = new MultipartUploads(client);
        this.bucket = bucket;
        this.partSize = partSize;
        if (!call(() -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()))) {
            try {
                call(() -> client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build()));
            } catch (IOException e) {
                // The API and its runners start together and may all find the bucket missing: one creates it, the
                // others are told it exists now, which is what they wanted.
                if (!call(() -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()))) {
                    throw e;
                }
            }
        }
    }

    @Override
    public StoredObject put(String key, InputStream in, long size) throws IOException {
        ArtifactKeys.requireValidKey(key);
        HashingInputStream hashing = new HashingInputStream(in, size);
        if (size == 0) {
            hashing.requireEnd(); // the SDK reads nothing for an empty object, so it would not notice extra bytes
        }
        long uploadPartSize = partSizeFor(partSize, size);
        EtagInputStream etag = new EtagInputStream(hashing, uploadPartSize);
        ObjectWriteResponse response = call(() -> client.putObject(
                PutObjectArgs.builder().bucket(bucket).object(key).stream(etag, size, uploadPartSize).build()));
        String expected = etag.etag();
        String actual = response.etag() == null ? null : response.etag().replace("\"", "");
        if (!expected.equalsIgnoreCase(actual)) {
            IOException mismatch = new IOException("checksum mismatch after storing " + key + ": S3 reports ETag "
                    + actual + " but the bytes sent have ETag " + expected + "; the object is deleted");
            try {
                delete(key);
            } catch (IOException e) {
                mismatch.addSuppressed(e);
            }
            throw mismatch;
        }
        return new StoredObject(key, hashing.count(), hashing.sha256Hex());
    }

    /** The configured part size, or more (whole MiB) where a known size would otherwise need over 10,000 parts. */
    static long partSizeFor(long configured, long size) {
        if (size < 0) {
            return configured;
        }
        long mib = 1L << 20;
        long needed = Math.ceilDiv(Math.ceilDiv(size, MAX_PARTS), mib) * mib;
        return Math.max(configured, needed);
    }

    @Override
    public InputStream open(String key) throws IOException {
        ArtifactKeys.requireValidKey(key);
        try {
            return call(() -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()));
        } catch (IOException e) {
            if (isNotFound(e)) {
                throw (NoSuchFileException) new NoSuchFileException(key, null, "no artifact under this key").initCause(e);
            }
            throw e;
        }
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        ArtifactKeys.requireValidKey(key);
        try {
            long size = call(() -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build())).size();
            return Optional.of(new StoredObject(key, size, null));
        } catch (IOException e) {
            if (isNotFound(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        for (Item item : items(ArtifactKeys.requireValidPrefix(prefix, true))) {
            objects.add(new StoredObject(item.objectName(), item.size(), null));
        }
        return objects; // S3 lists in key order already
    }

    @Override
    public void delete(String key) throws IOException {
        ArtifactKeys.requireValidKey(key);
        call(() -> client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        List<DeleteObject> doomed = new ArrayList<>();
        for (Item item : items(ArtifactKeys.requireValidPrefix(prefix, false))) {
            doomed.add(new DeleteObject(item.objectName()));
        }
        // removeObjects is lazy: it sends its DeleteObjects requests (1,000 keys each) only while its result is
        // iterated, and the result holds only the failures.
        for (Result<DeleteError> result : client.removeObjects(
                RemoveObjectsArgs.builder().bucket(bucket).objects(doomed).build())) {
            DeleteError error = get(result);
            throw new IOException("could not delete " + error.objectName() + ": " + error.code() + " " + error.message());
        }
        return doomed.size();
    }

    @Override
    public Optional<URI> presignedGetUrl(String key, Duration validity) throws IOException {
        ArtifactKeys.requireValidKey(key);
        int seconds = (int) ArtifactStore.requireValidity(validity).toSeconds();
        try {
            return Optional.of(URI.create(client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET).bucket(bucket).object(key).expiry(seconds).build())));
        } catch (Exception e) {
            throw asIOException(e);
        }
    }

    @Override
    public int abortIncompleteUploads(String prefix) throws IOException {
        ArtifactKeys.requireValidPrefix(prefix, true);
        int aborted = 0;
        ListMultipartUploadsResult page;
        do {
            page = call(() -> uploads.list(bucket, prefix));
            for (Upload upload : page.uploads()) {
                call(() -> client.abortMultipartUploadAsync(
                        bucket, null, upload.objectName(), upload.uploadId(), null, null));
                aborted++;
            }
        } while (page.isTruncated()); // the aborted uploads are gone, so listing again gives the next page
        return aborted;
    }

    private List<Item> items(String validPrefix) throws IOException {
        List<Item> items = new ArrayList<>();
        for (Result<Item> result : client.listObjects(
                ListObjectsArgs.builder().bucket(bucket).prefix(validPrefix).recursive(true).build())) {
            Item item = get(result);
            if (!item.isDir()) {
                items.add(item);
            }
        }
        return items;
    }

    /** A blocking SDK call: starts it, waits, and reports every failure as an IOException. */
    private interface S3Call<T> {
        Future<T> start() throws Exception;
    }

    private static <T> T call(S3Call<T> call) throws IOException {
        try {
            return call.start().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for S3");
        } catch (Exception e) {
            throw asIOException(e);
        }
    }

    private static <T> T get(Result<T> result) throws IOException {
        try {
            return result.get();
        } catch (Exception e) {
            throw asIOException(e);
        }
    }

    private static IOException asIOException(Throwable e) {
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e instanceof IOException io ? io : new IOException("S3 request failed: " + e, e);
    }

    private static boolean isNotFound(IOException e) {
        return e.getCause() instanceof ErrorResponseException error
                && List.of("NoSuchKey", "NoSuchObject").contains(error.errorResponse().code());
    }
}

package com.seedsq.storage.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Computes the SHA-256 and length of what flows through it, and holds the stream to its declared size: with a
 * declared size it delivers exactly that many bytes and fails if the source ends earlier or holds more. It also turns
 * runtime exceptions thrown by the source into {@link IOException}s, because the MinIO SDK aborts a multipart upload
 * only on checked exceptions; an unchecked one would leave the parts behind.
 */
final class HashingInputStream extends InputStream {

    private final InputStream source;
    private final long declaredSize;
    private final MessageDigest sha256;
    private final byte[] single = new byte[1];
    private final byte[] peek = new byte[1];
    private long count;

    /** @param declaredSize the exact size of {@code source}, or -1 if unknown */
    HashingInputStream(InputStream source, long declaredSize) {
        if (declaredSize < -1) {
            throw new IllegalArgumentException("size must be -1 (unknown) or >= 0, was " + declaredSize);
        }
        this.source = source;
        this.declaredSize = declaredSize;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        int n = read(single, 0, 1);
        return n < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int wanted = declaredSize < 0 ? len : (int) Math.min(len, declaredSize - count);
        if (wanted == 0) {
            requireEnd();
            return -1;
        }
        int n = readSource(b, off, wanted);
        if (n < 0) {
            if (declaredSize >= 0) {
                throw new IOException("stream ended after " + count + " bytes, but its size was given as " + declaredSize);
            }
            return -1;
        }
        sha256.update(b, off, n);
        count += n;
        if (count == declaredSize) {
            requireEnd(); // now, not on the next read: the SDK stops reading at the declared size
        }
        return n;
    }

    /**
     * Fails if the source holds more than the declared size. A reader that stops at the declared size (as the SDK
     * does) triggers this check with its last read; for an empty object, which the SDK does not read at all, call it.
     */
    void requireEnd() throws IOException {
        if (declaredSize >= 0 && readSource(peek, 0, 1) >= 0) {
            throw new IOException("stream holds more than its declared size of " + declaredSize + " bytes");
        }
    }

    private int readSource(byte[] b, int off, int len) throws IOException {
        try {
            return source.read(b, off, len);
        } catch (RuntimeException e) {
            throw new IOException("reading the upload stream failed: " + e, e);
        }
    }

    long count() {
        return count;
    }

    /** The SHA-256 of everything read so far; call once, at the end. */
    String sha256Hex() {
        return HexFormat.of().formatHex(sha256.digest());
    }
}

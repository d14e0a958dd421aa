package com.seedsq.storage.artifact;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Computes the ETag S3 gives an object uploaded in parts of {@code partSize} bytes, from the bytes flowing through:
 * the hex MD5 of the object when it fits one part, otherwise the hex MD5 of the concatenated binary part MD5s
 * followed by {@code -} and the number of parts. The MinIO SDK cuts parts at exact multiples of the part size, as
 * this does, so the two agree whatever sizes the reads have.
 */
final class EtagInputStream extends FilterInputStream {

    private final long partSize;
    private final MessageDigest partsMd5 = md5();
    private final MessageDigest partMd5 = md5();
    private long inPart;
    private int completedParts;

    EtagInputStream(InputStream in, long partSize) {
        super(in);
        this.partSize = partSize;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            update(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            update(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("skipping would leave bytes out of the ETag");
    }

    private void update(byte[] b, int off, int len) {
        while (len > 0) {
            if (inPart == partSize) {
                partsMd5.update(partMd5.digest());
                completedParts++;
                inPart = 0;
            }
            int n = (int) Math.min(len, partSize - inPart);
            partMd5.update(b, off, n);
            inPart += n;
            off += n;
            len -= n;
        }
    }

    /** The ETag of everything read; call once, at the end. */
    String etag() {
        HexFormat hex = HexFormat.of();
        if (completedParts == 0) {
            return hex.formatHex(partMd5.digest());
        }
        partsMd5.update(partMd5.digest());
        return hex.formatHex(partsMd5.digest()) + "-" + (completedParts + 1);
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }
}

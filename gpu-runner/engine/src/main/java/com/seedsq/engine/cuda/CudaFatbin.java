package com.seedsq.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The committed kernel binary ({@value #RESOURCE}) and the hash of the CUDA sources it was built from
 * ({@value #HASH_RESOURCE}), both written by {@code scripts/build-cuda.sh}.
 *
 * <p>The source hash is the SHA-256 of every regular file in {@code src/main/cuda}, concatenated in file-name order
 * (byte order, which is the script's C-locale {@code ls}). {@link #entries} reads the fatbin container's headers, so
 * a test can check which GPU architectures the binary carries without {@code cuobjdump}.
 */
public final class CudaFatbin {

    public static final String RESOURCE = "/cuda/sq_kernels.fatbin";
    public static final String HASH_RESOURCE = "/cuda/sq_kernels.sha256";
    public static final String BUILD_SCRIPT = "scripts/build-cuda.sh";

    /** Magic of a fatbin container ({@code 0xBA55ED50}, little-endian). */
    static final int FATBIN_MAGIC = 0xBA55ED50;

    private CudaFatbin() {
    }

    /** What one fatbin entry holds. */
    public enum Kind { PTX, ELF }

    /** One entry: PTX for a virtual architecture, or SASS (a cubin) for a real one, e.g. {@code ELF sm_90}. */
    public record Entry(Kind kind, int arch, long payloadBytes) {
        @Override
        public String toString() {
            return (kind == Kind.PTX ? "PTX compute_" : "SASS sm_") + arch;
        }
    }

    public static byte[] load() {
        try (InputStream in = CudaFatbin.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " missing: run " + BUILD_SCRIPT);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The source hash recorded when the committed fatbin was built. */
    public static String committedSourceHash() {
        try (InputStream in = CudaFatbin.class.getResourceAsStream(HASH_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + HASH_RESOURCE + " missing: run " + BUILD_SCRIPT);
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SHA-256 (lower-case hex) of the regular files of {@code sourceDir}, concatenated in name order. */
    public static String sourceHash(Path sourceDir) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(sourceDir)) {
            files = s.filter(Files::isRegularFile)
                    .sorted((a, b) -> compareBytes(a.getFileName().toString(), b.getFileName().toString()))
                    .toList();
        }
        for (Path f : files) {
            sha.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The entries of a fatbin container. Layout (little-endian): a 16-byte header {magic u32, version u16,
     * headerSize u16, payloadSize u64}, then entries, each {kind u16 (1 PTX, 2 ELF), version u16, headerSize u32,
     * payloadSize u64, ..., arch u32 at offset 28}; the next entry starts headerSize + payloadSize later.
     * Several containers may follow one another.
     */
    public static List<Entry> entries(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> out = new ArrayList<>();
        int off = 0;
        while (off + 16 <= fatbin.length) {
            if (b.getInt(off) != FATBIN_MAGIC) {
                throw new IllegalArgumentException("not a fatbin container at offset " + off);
            }
            int headerSize = Short.toUnsignedInt(b.getShort(off + 6));
            long size = b.getLong(off + 8);
            long p = off + headerSize, end = p + size;
            if (end > fatbin.length) {
                throw new IllegalArgumentException("truncated fatbin: container ends at " + end + " of " + fatbin.length);
            }
            while (p < end) {
                int at = Math.toIntExact(p);
                int kind = Short.toUnsignedInt(b.getShort(at));
                long entryHeader = Integer.toUnsignedLong(b.getInt(at + 4));
                long payload = b.getLong(at + 8);
                int arch = b.getInt(at + 28);
                out.add(new Entry(kind == 1 ? Kind.PTX : Kind.ELF, arch, payload));
                p += entryHeader + payload;
            }
            off = Math.toIntExact(end);
        }
        return out;
    }
}

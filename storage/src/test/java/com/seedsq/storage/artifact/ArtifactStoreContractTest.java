package com.seedsq.storage.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ArtifactStore} must do; each implementation's test extends this with a fresh, empty store per
 * test. Sizes are chosen around the S3 part size of {@link #PART_SIZE} so that S3 takes both the single-PUT and the
 * multipart path.
 */
abstract class ArtifactStoreContractTest {

    static final int PART_SIZE = 5 << 20;
    static final int MIB = 1 << 20;

    /** The store under test, empty at the start of each test. */
    abstract ArtifactStore store();

    /** Leftovers of incomplete puts that the store holds, as a backend-level check independent of the store's API. */
    abstract List<String> leftoverUploads() throws IOException;

    @Test
    void roundTripsAFewMegabytesOfKnownSize() throws IOException {
        byte[] data = randomBytes(3 * MIB, 1);

        StoredObject stored = store().put("tenants/t1/models/m1/model.safetensors", new ByteArrayInputStream(data), data.length);

        assertThat(stored).isEqualTo(new StoredObject("tenants/t1/models/m1/model.safetensors", data.length, sha256(data)));
        try (InputStream in = store().open(stored.key())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(store().stat(stored.key())).contains(new StoredObject(stored.key(), data.length, null));
    }

    @Test
    void roundTripsAMultipartObjectOfUnknownSize() throws IOException {
        byte[] data = randomBytes(12 * MIB + 123, 2); // three parts, the last one short

        StoredObject stored = store().put("big/unknown.bin", new ByteArrayInputStream(data), -1);

        assertThat(stored.size()).isEqualTo(data.length);
        assertThat(stored.sha256Hex()).isEqualTo(sha256(data));
        try (InputStream in = store().open("big/unknown.bin")) {
            assertThat(sha256(in.readAllBytes())).isEqualTo(sha256(data));
        }
    }

    @Test
    void roundTripsAMultipartObjectOfKnownSizeThatIsAWholeNumberOfParts() throws IOException {
        byte[] data = randomBytes(2 * PART_SIZE, 3);

        StoredObject stored = store().put("big/known.bin", new ByteArrayInputStream(data), data.length);

        assertThat(stored.sha256Hex()).isEqualTo(sha256(data));
        try (InputStream in = store().open("big/known.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void storesAnEmptyObject() throws IOException {
        StoredObject stored = store().put("empty", InputStream.nullInputStream(), 0);

        assertThat(stored.sha256Hex()).isEqualTo(sha256(new byte[0]));
        assertThat(store().stat("empty")).contains(new StoredObject("empty", 0, null));
    }

    @Test
    void replacesAnExistingObject() throws IOException {
        store().put("a/x", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3);
        store().put("a/x", new ByteArrayInputStream(new byte[] {4, 5}), 2);

        try (InputStream in = store().open("a/x")) {
            assertThat(in.readAllBytes()).containsExactly(4, 5);
        }
        assertThat(store().list("")).extracting(StoredObject::key).containsExactly("a/x");
    }

    @Test
    void listsDeletesAndDeletesByPrefix() throws IOException {
        for (String key : List.of("a/y/z", "a/x", "ab/w", "b")) {
            put(key, key.length());
        }

        assertThat(store().list("")).extracting(StoredObject::key).containsExactly("a/x", "a/y/z", "ab/w", "b");
        assertThat(store().list("a/")).containsExactly(new StoredObject("a/x", 3, null), new StoredObject("a/y/z", 5, null));
        assertThat(store().list("nothing/")).isEmpty();

        store().delete("a/x");
        store().delete("a/x"); // deleting an absent key is fine
        assertThat(store().stat("a/x")).isEmpty();
        assertThat(store().list("a/")).extracting(StoredObject::key).containsExactly("a/y/z");

        put("a/y/more", 1);
        assertThat(store().deletePrefix("a/")).isEqualTo(2);
        assertThat(store().list("")).extracting(StoredObject::key).containsExactly("ab/w", "b");
        assertThat(store().deletePrefix("a/")).isZero();
    }

    @Test
    void reportsMissingObjects() throws IOException {
        assertThat(store().stat("missing/key")).isEmpty();
        assertThatThrownBy(() -> store().open("missing/key")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing/key");
    }

    @Test
    void rejectsInvalidKeysAndPrefixes() {
        ArtifactStore store = store();
        InputStream empty = InputStream.nullInputStream();
        assertThatIllegalArgumentException().isThrownBy(() -> store.put("../escape", empty, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> store.open("/abs"));
        assertThatIllegalArgumentException().isThrownBy(() -> store.stat("a\\b"));
        assertThatIllegalArgumentException().isThrownBy(() -> store.delete(""));
        assertThatIllegalArgumentException().isThrownBy(() -> store.list("a"));
        assertThatIllegalArgumentException().isThrownBy(() -> store.deletePrefix(""));
        assertThatIllegalArgumentException().isThrownBy(() -> store.presignedGetUrl("a/../b", Duration.ofMinutes(1)));
        assertThatIllegalArgumentException().isThrownBy(() -> store.presignedGetUrl("a", Duration.ofDays(8)));
    }

    @Test
    void aStreamFailingAfterSeveralPartsLeavesNothingAndKeepsThePreviousObject() throws IOException {
        put("models/m/weights.bin", 10);
        // More than one part has gone to S3 by the time the stream fails, so a multipart upload must be aborted.
        InputStream failing = failingAfter(randomBytes(PART_SIZE + MIB, 4), new IOException("simulated network failure"));

        assertThatThrownBy(() -> store().put("models/m/weights.bin", failing, -1))
                .isInstanceOf(IOException.class).hasStackTraceContaining("simulated network failure");
        assertThatThrownBy(() -> store().put("models/m/other.bin", failingAfter(randomBytes(PART_SIZE + MIB, 5),
                new IOException("simulated network failure")), 20 * MIB))
                .isInstanceOf(IOException.class);

        assertThat(store().list("")).containsExactly(new StoredObject("models/m/weights.bin", 10, null));
        assertThat(leftoverUploads()).isEmpty();
    }

    @Test
    void aStreamThrowingAnUncheckedExceptionLeavesNothing() throws IOException {
        InputStream failing = failingAfter(randomBytes(PART_SIZE + MIB, 6),
                new UncheckedIOException(new IOException("simulated unchecked failure")));

        assertThatThrownBy(() -> store().put("models/m/x.bin", failing, -1))
                .isInstanceOf(IOException.class).hasStackTraceContaining("simulated unchecked failure");

        assertThat(store().list("")).isEmpty();
        assertThat(leftoverUploads()).isEmpty();
    }

    @Test
    void aStreamShorterOrLongerThanItsDeclaredSizeIsRefused() throws IOException {
        byte[] data = randomBytes(1000, 7);

        assertThatThrownBy(() -> store().put("short", new ByteArrayInputStream(data), 1001))
                .isInstanceOf(IOException.class).hasStackTraceContaining("stream ended after 1000 bytes");
        assertThatThrownBy(() -> store().put("long", new ByteArrayInputStream(data), 999))
                .isInstanceOf(IOException.class).hasStackTraceContaining("more than its declared size of 999");
        assertThatThrownBy(() -> store().put("not-empty", new ByteArrayInputStream(data), 0))
                .isInstanceOf(IOException.class).hasStackTraceContaining("more than its declared size of 0");
        assertThatThrownBy(() -> store().put("multipart", new ByteArrayInputStream(randomBytes(PART_SIZE + MIB + 1, 8)), PART_SIZE + MIB))
                .isInstanceOf(IOException.class).hasStackTraceContaining("more than its declared size");

        assertThat(store().list("")).isEmpty();
        assertThat(leftoverUploads()).isEmpty();
    }

    private void put(String key, int size) throws IOException {
        store().put(key, new ByteArrayInputStream(new byte[size]), size);
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Delivers {@code data}, then throws {@code failure} (an IOException or a RuntimeException). */
    static InputStream failingAfter(byte[] data, Exception failure) {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                if (failure instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) failure;
            }
        };
        return new SequenceInputStream(new ByteArrayInputStream(data), broken);
    }
}

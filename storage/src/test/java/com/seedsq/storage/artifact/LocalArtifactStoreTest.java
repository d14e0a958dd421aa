package com.seedsq.storage.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalArtifactStoreTest extends ArtifactStoreContractTest {

    @TempDir
    Path root;
    LocalArtifactStore store;

    @BeforeEach
    void createStore() throws IOException {
        store = new LocalArtifactStore(root.resolve("artifacts"));
    }

    @Override
    ArtifactStore store() {
        return store;
    }

    /** Every file under the root that is not an artifact: the temporary files of puts. */
    @Override
    List<String> leftoverUploads() throws IOException {
        List<String> artifacts = store.list("").stream().map(StoredObject::key).toList();
        try (Stream<Path> paths = Files.walk(store.root())) {
            return paths.filter(Files::isRegularFile).map(p -> store.root().relativize(p).toString())
                    .filter(file -> !artifacts.contains(file))
                    .toList();
        }
    }

    @Test
    void keepsObjectsAsPlainFilesUnderTheRoot() throws IOException {
        store.put("tenants/t/report.json", new ByteArrayInputStream("{}".getBytes()), 2);

        assertThat(store.root().resolve("tenants/t/report.json")).hasContent("{}");
    }

    @Test
    void hasNoPresignedUrls() throws IOException {
        store.put("a", new ByteArrayInputStream(new byte[1]), 1);

        assertThat(store.presignedGetUrl("a", Duration.ofMinutes(5))).isEmpty();
    }

    @Test
    void abortIncompleteUploadsRemovesOnlyTemporaryFiles() throws IOException {
        store.put("models/m/model.bin", new ByteArrayInputStream(new byte[3]), 3);
        Path stale = Files.writeString(store.root().resolve("models/m/.sq-123.partial"), "left by a crash");

        assertThat(store.list("")).extracting(StoredObject::key).containsExactly("models/m/model.bin");
        assertThat(store.abortIncompleteUploads("other/")).isZero();
        assertThat(store.abortIncompleteUploads("models/")).isEqualTo(1);

        assertThat(stale).doesNotExist();
        assertThat(store.stat("models/m/model.bin")).isPresent();
    }

    @Test
    void aKeyCannotBeBothAnObjectAndAFolder() throws IOException {
        store.put("a/b", new ByteArrayInputStream(new byte[1]), 1);

        assertThatThrownBy(() -> store.put("a", new ByteArrayInputStream(new byte[1]), 1)).isInstanceOf(IOException.class);
        assertThat(leftoverUploads()).isEmpty();
    }
}

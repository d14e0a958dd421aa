package com.seedsq.storage.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.seedsq.storage.testing.S3ProxyServer;
import io.minio.BucketExistsArgs;
import io.minio.MinioAsyncClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store against a real S3 server (S3Proxy in its own process), through the MinIO SDK. */
class S3ArtifactStoreTest extends ArtifactStoreContractTest {

    static S3ProxyServer server;
    static MinioAsyncClient client;
    String bucket;
    S3ArtifactStore store;

    @BeforeAll
    static void connect() throws IOException {
        server = S3ProxyServer.shared();
        client = server.newAsyncClient();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (client != null) {
            client.close();
        }
    }

    /** A fresh bucket per test, which the store creates. */
    @BeforeEach
    void createStore() throws IOException {
        bucket = "sq-test-" + UUID.randomUUID().toString().substring(0, 8);
        store = new S3ArtifactStore(client, bucket, PART_SIZE);
    }

    @Override
    ArtifactStore store() {
        return store;
    }

    /**
     * The files of unfinished multipart uploads in S3Proxy's bucket folder, looked at on disk rather than through
     * the store under test (the SDK's own ListMultipartUploads request is one S3Proxy does not implement).
     */
    @Override
    List<String> leftoverUploads() throws IOException {
        Path folder = server.dataDirectory().resolve(bucket);
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).map(f -> folder.relativize(f).toString().replace('\\', '/'))
                    .filter(name -> name.startsWith(".mpus-")).sorted().toList();
        }
    }

    @Test
    void createsTheBucketOnlyIfMissing() throws Exception {
        assertThat(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()).get()).isTrue();
        store.put("k", new ByteArrayInputStream(new byte[] {7}), 1);

        S3ArtifactStore again = new S3ArtifactStore(client, bucket);

        assertThat(again.list("")).extracting(StoredObject::key).containsExactly("k");
    }

    @Test
    void uploadsObjectsLargerThanAPartInParts() throws Exception {
        byte[] data = randomBytes(PART_SIZE + 1, 9);
        ByteArrayOutputStream trace = new ByteArrayOutputStream();

        client.traceOn(trace);
        try {
            store.put("big/two-parts.bin", new ByteArrayInputStream(data), data.length);
        } finally {
            client.traceOff();
        }

        // The SDK's HTTP trace shows the requests: two parts, then the completion.
        String path = "/" + bucket + "/big/two-parts.bin";
        List<String> parts = Pattern.compile("^PUT " + path + "\\?uploadId=[^&]+&partNumber=(\\d+) ", Pattern.MULTILINE)
                .matcher(trace.toString()).results().map(m -> m.group(1)).toList();
        assertThat(parts).containsExactly("1", "2");
        assertThat(trace.toString()).containsPattern("(?m)^POST " + path + "\\?uploadId=[^&]+ HTTP");
        try (InputStream in = store.open("big/two-parts.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void growsThePartSizeWhereAKnownSizeWouldNeedMoreThan10000Parts() {
        long configured = S3ArtifactStore.DEFAULT_PART_SIZE;
        assertThat(S3ArtifactStore.partSizeFor(configured, -1)).isEqualTo(configured);
        assertThat(S3ArtifactStore.partSizeFor(configured, 10_000 * configured)).isEqualTo(configured);
        // 200 GiB / 10,000 parts = 20.48 MiB, rounded up to whole MiB
        assertThat(S3ArtifactStore.partSizeFor(configured, 200L << 30)).isEqualTo(21L << 20);
    }

    @Test
    void refusesPartsSmallerThanS3Allows() {
        assertThatIllegalArgumentException().isThrownBy(() -> new S3ArtifactStore(client, bucket, PART_SIZE - 1))
                .withMessageContaining("at least 5 MiB");
    }

    @Test
    void aPresignedUrlDownloadsTheBytesWithAPlainHttpClient() throws Exception {
        byte[] data = randomBytes(2 * MIB, 8);
        store.put("tenants/t/reports/r1/report.html", new ByteArrayInputStream(data), data.length);

        URI url = store.presignedGetUrl("tenants/t/reports/r1/report.html", Duration.ofMinutes(10)).orElseThrow();

        assertThat(url.getQuery()).contains("X-Amz-Signature=");
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(data);

            URI tampered = URI.create(url.toString().replace("report.html", "report.htm"));
            assertThat(http.send(HttpRequest.newBuilder(tampered).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode()).isEqualTo(403);
        }
    }

    @Test
    void abortIncompleteUploadsRemovesUploadsACrashedProcessLeftBehind() throws Exception {
        for (String key : List.of("tenants/a/models/1/model.bin", "tenants/b/models/2/model.bin")) {
            client.createMultipartUploadAsync(bucket, null, key, null, null).get();
        }
        assertThat(leftoverUploads()).hasSize(2).allMatch(name -> name.endsWith("model.bin-stub"));
        // Pending uploads are no objects. (S3Proxy's file backend does list two placeholder blobs per pending upload,
        // '.mpus-<id>-<key>-stub' and '<id>', at the bucket's top level; real S3 and MinIO list nothing.)
        assertThat(store.list("tenants/")).isEmpty();

        assertThat(store.abortIncompleteUploads("tenants/a/")).isEqualTo(1);
        assertThat(leftoverUploads()).singleElement().asString().contains("tenants/b/models/2/model.bin");
        assertThat(store.abortIncompleteUploads("")).isEqualTo(1);
        assertThat(leftoverUploads()).isEmpty();
    }
}

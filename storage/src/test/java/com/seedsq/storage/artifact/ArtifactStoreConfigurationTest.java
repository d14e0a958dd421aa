package com.seedsq.storage.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import com.seedsq.storage.testing.S3ProxyServer;
import io.minio.MinioAsyncClient;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class ArtifactStoreConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ArtifactStoreConfiguration.class));

    @Test
    void isRegisteredAsAnAutoConfiguration() {
        assertThat(ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).getCandidates())
                .contains(ArtifactStoreConfiguration.class.getName());
    }

    @Test
    void propertiesHaveTheDocumentedDefaults() {
        StorageProperties defaults = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("sq.storage", StorageProperties.class);

        assertThat(defaults.type()).isEqualTo(StorageProperties.Type.LOCAL);
        assertThat(defaults.local().root().normalize()).isEqualTo(Path.of("data/artifacts"));
        assertThat(defaults.s3().bucket()).isEqualTo("sq-artifacts");
        assertThat(defaults.s3().region()).isEqualTo("us-east-1");
        assertThat(defaults.s3().endpoint()).isNull();
    }

    @Test
    void createsALocalStoreByDefault(@TempDir Path root) {
        runner.withPropertyValues("sq.storage.local.root=" + root.resolve("artifacts"))
                .run(context -> {
                    assertThat(context).hasSingleBean(ArtifactStore.class).doesNotHaveBean(MinioAsyncClient.class);
                    LocalArtifactStore store = context.getBean(LocalArtifactStore.class);
                    assertThat(store.root()).isEqualTo(root.resolve("artifacts"));
                    assertThat(root.resolve("artifacts")).isDirectory();
                });
    }

    @Test
    void createsAnS3StoreAndItsBucket() throws Exception {
        S3ProxyServer server = S3ProxyServer.shared();
        runner.withPropertyValues(
                        "sq.storage.type=s3",
                        "sq.storage.s3.endpoint=" + server.endpoint(),
                        "sq.storage.s3.access-key=" + server.accessKey(),
                        "sq.storage.s3.secret-key=" + server.secretKey(),
                        "sq.storage.s3.bucket=configured-bucket")
                .run(context -> {
                    assertThat(context).hasSingleBean(ArtifactStore.class);
                    ArtifactStore store = context.getBean(S3ArtifactStore.class);
                    store.put("tenants/t/x", new ByteArrayInputStream(new byte[] {1, 2}), 2);
                    assertThat(store.stat("tenants/t/x")).contains(new StoredObject("tenants/t/x", 2, null));
                });
        assertThat(server.dataDirectory().resolve("configured-bucket/tenants/t/x")).hasSize(2);
    }

    @Test
    void refusesS3WithoutAnEndpoint() {
        runner.withPropertyValues("sq.storage.type=s3", "sq.storage.s3.access-key=a", "sq.storage.s3.secret-key=b")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("sq.storage.s3.endpoint must be set when sq.storage.type=s3"));
    }

    @Test
    void refusesAnUnknownType() {
        runner.withPropertyValues("sq.storage.type=ftp")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("sq.storage.type"));
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnStore(@TempDir Path root) {
        runner.withBean("customStore", ArtifactStore.class, () -> newLocalStore(root))
                .run(context -> assertThat(context).hasSingleBean(ArtifactStore.class).hasBean("customStore"));
    }

    private static ArtifactStore newLocalStore(Path root) {
        try {
            return new LocalArtifactStore(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

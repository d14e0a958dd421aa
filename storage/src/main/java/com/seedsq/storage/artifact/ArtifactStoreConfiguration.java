package com.seedsq.storage.artifact;

import io.minio.MinioAsyncClient;
import java.io.IOException;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Gives every application that depends on this module an {@link ArtifactStore} chosen by {@code sq.storage.type}
 * (see {@link StorageProperties}); an application that defines its own {@code ArtifactStore} bean keeps it.
 * Registered in {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}.
 */
@AutoConfiguration
@EnableConfigurationProperties(StorageProperties.class)
public class ArtifactStoreConfiguration {

    @Bean
    @ConditionalOnMissingBean(ArtifactStore.class)
    @ConditionalOnProperty(name = "sq.storage.type", havingValue = "local", matchIfMissing = true)
    public LocalArtifactStore localArtifactStore(StorageProperties properties) throws IOException {
        return new LocalArtifactStore(properties.local().root());
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(name = "sq.storage.type", havingValue = "s3")
    public MinioAsyncClient artifactMinioClient(StorageProperties properties) {
        StorageProperties.S3 s3 = properties.s3();
        require(s3.endpoint(), "endpoint");
        require(s3.accessKey(), "access-key");
        require(s3.secretKey(), "secret-key");
        return MinioAsyncClient.builder()
                .endpoint(s3.endpoint())
                .credentials(s3.accessKey(), s3.secretKey())
                .region(s3.region())
                .build();
    }

    @Bean
    @ConditionalOnMissingBean(ArtifactStore.class)
    @ConditionalOnProperty(name = "sq.storage.type", havingValue = "s3")
    public S3ArtifactStore s3ArtifactStore(MinioAsyncClient artifactMinioClient, StorageProperties properties)
            throws IOException {
        return new S3ArtifactStore(artifactMinioClient, properties.s3().bucket());
    }

    private static void require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("sq.storage.s3." + name + " must be set when sq.storage.type=s3");
        }
    }
}

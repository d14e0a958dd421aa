package com.seedsq.storage.artifact;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where artifacts are kept. These names are a contract with the other modules and docker-compose:
 * {@code sq.storage.type} ({@code local}, the default, or {@code s3}), {@code sq.storage.local.root},
 * {@code sq.storage.s3.endpoint}, {@code sq.storage.s3.access-key}, {@code sq.storage.s3.secret-key},
 * {@code sq.storage.s3.bucket} and {@code sq.storage.s3.region}.
 */
@ConfigurationProperties(prefix = "sq.storage")
public record StorageProperties(@DefaultValue("local") Type type, @DefaultValue Local local, @DefaultValue S3 s3) {

    public enum Type { LOCAL, S3 }

    /** @param root the directory that holds the artifacts */
    public record Local(@DefaultValue("./data/artifacts") Path root) {
    }

    /**
     * @param endpoint  the S3 server's URL, e.g. {@code http://minio:9000}
     * @param accessKey the access key id
     * @param secretKey the secret key
     * @param bucket    the bucket, created on startup if missing
     * @param region    the region, given so the SDK never has to look it up; it is also the location constraint of a
 *                  bucket created on startup (S3Proxy's file backend accepts only us-east-1 there)
     */
    public record S3(String endpoint, String accessKey, String secretKey,
                     @DefaultValue("sq-artifacts") String bucket, @DefaultValue("us-east-1") String region) {
    }
}

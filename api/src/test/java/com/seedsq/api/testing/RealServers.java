package com.seedsq.api.testing;

import com.seedsq.storage.testing.PostgresTestDatabase;
import com.seedsq.storage.testing.S3ProxyServer;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The real servers an API integration test runs against: a fresh database on the PostgreSQL server and an S3
 * server (S3Proxy in its own process), wired into the application as its datasource and its S3 artifact store.
 */
public final class RealServers implements AutoCloseable {

    private final PostgresTestDatabase db = new PostgresTestDatabase();
    private final S3ProxyServer s3;

    private RealServers() {
        try {
            s3 = S3ProxyServer.start();
        } catch (IOException e) {
            db.close();
            throw new UncheckedIOException(e);
        }
    }

    public static RealServers start() {
        return new RealServers();
    }

    /** For {@code @DynamicPropertySource}; the test sets {@code sq.storage.type=s3} itself. */
    public void register(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", db::jdbcUrl);
        registry.add("spring.datasource.username", db::user);
        registry.add("spring.datasource.password", db::password);
        registry.add("sq.storage.s3.endpoint", () -> s3.endpoint().toString());
        registry.add("sq.storage.s3.access-key", s3::accessKey);
        registry.add("sq.storage.s3.secret-key", s3::secretKey);
    }

    @Override
    public void close() {
        try {
            s3.close();
        } finally {
            db.close();
        }
    }
}

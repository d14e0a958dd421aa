package com.seedsq.api.jobs;

import com.seedsq.storage.testing.PostgresTestDatabase;
import com.seedsq.storage.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Against the real servers: PostgreSQL (metadata and JobRepository) and S3 (S3Proxy, through the MinIO SDK). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "sq.storage.type=s3",
        "sq.jobs.work-dir=./target/test-data/jobs-servers-work",
        "sq.jobs.webhooks.allowed-hosts=127.0.0.1",
        "sq.jobs.webhooks.secret=" + QuantizationJobApiSupport.WEBHOOK_SECRET,
        "sq.security.bootstrap-admin-key=" + QuantizationJobApiSupport.ADMIN_KEY})
@DirtiesContext
class QuantizationJobApiServersTest extends QuantizationJobApiSupport {

    static final PostgresTestDatabase DB = new PostgresTestDatabase();
    static final S3ProxyServer S3 = startS3();

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DB::jdbcUrl);
        registry.add("spring.datasource.username", DB::user);
        registry.add("spring.datasource.password", DB::password);
        registry.add("sq.storage.s3.endpoint", () -> S3.endpoint().toString());
        registry.add("sq.storage.s3.access-key", S3::accessKey);
        registry.add("sq.storage.s3.secret-key", S3::secretKey);
    }

    @AfterAll
    static void stop() {
        S3.close();
        DB.close();
    }

    private static S3ProxyServer startS3() {
        try {
            return S3ProxyServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

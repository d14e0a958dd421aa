package com.seedsq.api.jobs;

import com.seedsq.api.testing.RealServers;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Against the real servers: PostgreSQL (metadata and JobRepository) and S3 (S3Proxy, through the MinIO SDK). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "sq.storage.type=s3",
        "sq.jobs.work-dir=./target/test-data/jobs-servers-work",
        "sq.jobs.webhooks.allowed-hosts=127.0.0.1",
        "sq.jobs.webhooks.secret=" + QuantizationJobApiSupport.WEBHOOK_SECRET,
        "sq.security.bootstrap-admin-key=" + QuantizationJobApiSupport.ADMIN_KEY})
@DirtiesContext
class QuantizationJobApiServersTest extends QuantizationJobApiSupport {

    static final RealServers SERVERS = RealServers.start();

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        SERVERS.register(registry);
    }

    @AfterAll
    static void stop() {
        SERVERS.close();
    }
}

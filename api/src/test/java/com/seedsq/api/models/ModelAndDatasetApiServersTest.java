package com.seedsq.api.models;

import com.seedsq.api.testing.RealServers;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Against the real servers: PostgreSQL, and S3 (S3Proxy in its own process) through the MinIO SDK. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "sq.storage.type=s3",
        "sq.security.bootstrap-admin-key=" + ModelAndDatasetApiSupport.ADMIN_KEY})
@DirtiesContext
class ModelAndDatasetApiServersTest extends ModelAndDatasetApiSupport {

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

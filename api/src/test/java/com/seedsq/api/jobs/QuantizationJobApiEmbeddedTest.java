package com.seedsq.api.jobs;

import org.springframework.boot.test.context.SpringBootTest;

/** On the embedded defaults: H2, the local artifact directory, steps in-process. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:jobs-embedded;DB_CLOSE_DELAY=-1",
        "sq.storage.local.root=./target/test-data/jobs-embedded",
        "sq.jobs.work-dir=./target/test-data/jobs-embedded-work",
        "sq.jobs.webhooks.allowed-hosts=127.0.0.1",
        "sq.jobs.webhooks.secret=" + QuantizationJobApiSupport.WEBHOOK_SECRET,
        "sq.security.bootstrap-admin-key=" + QuantizationJobApiSupport.ADMIN_KEY})
class QuantizationJobApiEmbeddedTest extends QuantizationJobApiSupport {
}

package com.seedsq.api.models;

import org.springframework.boot.test.context.SpringBootTest;

/** On the embedded defaults: H2 and the local artifact directory. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:models-embedded;DB_CLOSE_DELAY=-1",
        "sq.storage.local.root=./target/test-data/models-embedded",
        "sq.security.bootstrap-admin-key=" + ModelAndDatasetApiSupport.ADMIN_KEY})
class ModelAndDatasetApiEmbeddedTest extends ModelAndDatasetApiSupport {
}

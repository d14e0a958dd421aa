package com.seedsq.jobs;

import com.seedsq.storage.testing.PostgresTestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Against the real PostgreSQL server (a fresh database per run, dropped afterwards). */
@SpringBootTest(classes = TrivialJobSupport.App.class)
@DirtiesContext
class TrivialJobPostgresTest extends TrivialJobSupport {

    static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DB::jdbcUrl);
        registry.add("spring.datasource.username", DB::user);
        registry.add("spring.datasource.password", DB::password);
    }

    @AfterAll
    static void dropDatabase() {
        DB.close(); // DROP ... WITH (FORCE) ends the pool's connections; @DirtiesContext then discards the context.
    }
}

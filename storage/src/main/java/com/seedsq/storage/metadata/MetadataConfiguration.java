package com.seedsq.storage.metadata;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The metadata repositories, for every application that depends on this module. Plain JDBC through
 * {@link JdbcClient}: the tables are few and the queries simple, so an ORM would add more than it saves.
 */
@AutoConfiguration(after = JdbcClientAutoConfiguration.class)
public class MetadataConfiguration {

    @Bean
    public ApiKeys apiKeys(JdbcClient jdbc) {
        return new ApiKeys(jdbc);
    }

    @Bean
    public Models models(JdbcClient jdbc) {
        return new Models(jdbc);
    }

    @Bean
    public Datasets datasets(JdbcClient jdbc) {
        return new Datasets(jdbc);
    }

    @Bean
    public Jobs jobs(JdbcClient jdbc) {
        return new Jobs(jdbc);
    }

    @Bean
    public Uploads uploads(JdbcClient jdbc) {
        return new Uploads(jdbc);
    }

    @Bean
    public Runners runners(JdbcClient jdbc) {
        return new Runners(jdbc);
    }
}

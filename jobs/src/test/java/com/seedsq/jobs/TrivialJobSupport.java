package com.seedsq.jobs;

import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A two-step job run through the real JobRepository, whose tables Flyway created (V1__Spring_batch_schema).
 * Subclasses point it at H2 and at the real PostgreSQL.
 */
abstract class TrivialJobSupport {

    @Autowired
    JobOperator jobOperator;

    @Autowired
    Job trivialJob;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    AtomicInteger stepsRun;

    @Test
    void jobCompletesAndIsRecordedInTheFlywayCreatedRepository() throws Exception {
        int before = stepsRun.get();
        JobExecution execution = jobOperator.start(trivialJob,
                new JobParametersBuilder().addLong("run", System.nanoTime()).toJobParameters());

        assertThat(execution.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(stepsRun.get() - before).isEqualTo(2);
        assertThat(jdbc.queryForObject("select status from BATCH_JOB_EXECUTION where JOB_EXECUTION_ID = ?",
                String.class, execution.getId())).isEqualTo("COMPLETED");
        assertThat(jdbc.queryForObject("select count(*) from BATCH_STEP_EXECUTION where JOB_EXECUTION_ID = ?",
                Integer.class, execution.getId())).isEqualTo(2);
        // The schema came from Flyway, not from Batch's own initializer.
        assertThat(jdbc.queryForObject("select count(*) from \"flyway_schema_history\" where \"success\" = true",
                Integer.class)).isGreaterThanOrEqualTo(1);
    }

    @SpringBootApplication
    static class App {

        @Bean
        AtomicInteger stepsRun() {
            return new AtomicInteger();
        }

        @Bean
        Job trivialJob(JobRepository repository, PlatformTransactionManager tx, AtomicInteger stepsRun) {
            var first = new StepBuilder("first", repository).tasklet((contribution, context) -> {
                stepsRun.incrementAndGet();
                return RepeatStatus.FINISHED;
            }, tx).build();
            var second = new StepBuilder("second", repository).tasklet((contribution, context) -> {
                stepsRun.incrementAndGet();
                return RepeatStatus.FINISHED;
            }, tx).build();
            return new JobBuilder("trivial", repository).start(first).next(second).build();
        }
    }
}

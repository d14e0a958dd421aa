package com.seedsq.jobs.quantize;

import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts, restarts and cancels quantization jobs. Jobs run on a small pool of their own (the API answers at once;
 * the job's row says how it goes), through the standard {@link JobOperator}, so a restart resumes after the last
 * completed step.
 */
public class JobRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final EnumSet<BatchStatus> LEFT_RUNNING =
            EnumSet.of(BatchStatus.STARTING, BatchStatus.STARTED, BatchStatus.STOPPING);

    private final JobOperator operator;
    private final JobRepository repository;
    private final Job job;
    private final Jobs jobs;
    private final ExecutorService pool;

    public JobRunner(JobOperator operator, JobRepository repository, Job job, Jobs jobs, int concurrency) {
        this.operator = operator;
        this.repository = repository;
        this.job = job;
        this.jobs = jobs;
        this.pool = Executors.newFixedThreadPool(concurrency, Thread.ofPlatform().name("sq-job-", 0).factory());
    }

    public void launch(String jobId) {
        pool.submit(() -> {
            try {
                operator.start(job, new JobParametersBuilder().addString(QuantizeJob.JOB_ID, jobId).toJobParameters());
            } catch (Exception e) {
                log.error("job {} could not start", jobId, e);
                settle(jobId, "could not start: " + e.getMessage());
            } finally {
                settle(jobId, null);
            }
        });
    }

    /** Restarts a FAILED or CANCELLED job from its last incomplete step. */
    public void restart(JobRecord j) {
        if (j.batchExecutionId() == null) {
            launch(j.id()); // it never started (the service stopped while it was queued)
            return;
        }
        pool.submit(() -> {
            try {
                // An execution that ended while the database was away may still say it runs; nothing runs it now.
                JobExecution e = repository.getJobExecution(j.batchExecutionId());
                if (e != null && LEFT_RUNNING.contains(e.getStatus())) {
                    operator.recover(e);
                }
                operator.restart(j.batchExecutionId());
            } catch (Exception e) {
                log.error("job {} could not restart", j.id(), e);
                settle(j.id(), "could not restart: " + e.getMessage());
            } finally {
                settle(j.id(), null);
            }
        });
    }

    /**
     * Makes sure a job that this process stopped running has an outcome on its row. Normally the job's listener
     * wrote it; if the database was unreachable just then, the row still says RUNNING, and would until the next
     * start of the service: mark it FAILED (restartable) as soon as the database answers again.
     */
    private void settle(String jobId, String failure) {
        for (int attempt = 0; attempt < 600; attempt++) {
            try {
                JobRecord j = jobs.get(jobId).orElse(null);
                if (j == null || !(JobRecord.RUNNING.equals(j.status()) || JobRecord.QUEUED.equals(j.status()))) {
                    return;
                }
                String where = j.currentStep() == null ? "" : " in step '" + j.currentStep() + "'";
                jobs.finished(jobId, JobRecord.FAILED, failure != null ? failure : "the job stopped" + where
                        + " while the database was unreachable, so its end could not be recorded; restart it", now());
                return;
            } catch (RuntimeException databaseAway) {
                if (attempt == 0) {
                    log.warn("job {}: cannot record its end yet ({}); trying again", jobId, databaseAway.toString());
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * After a crash or a kill, the Batch executions and job rows this process owned still say they run. At start-up
     * nothing runs yet, so each of them is marked FAILED with the reason, and can be restarted.
     */
    @EventListener(ApplicationReadyEvent.class)
    public void recoverInterruptedJobs() {
        for (String status : new String[] {JobRecord.RUNNING, JobRecord.QUEUED}) {
            for (JobRecord j : jobs.withStatus(status)) {
                String step = j.currentStep();
                if (j.batchExecutionId() != null) {
                    JobExecution e = repository.getJobExecution(j.batchExecutionId());
                    if (e != null && LEFT_RUNNING.contains(e.getStatus())) {
                        // Batch knows which step was running better than our throttled progress row does.
                        step = e.getStepExecutions().stream().filter(se -> se.getStatus().isRunning())
                                .map(StepExecution::getStepName).findFirst().orElse(step);
                        operator.recover(e);
                    }
                }
                String where = step == null ? "" : " during step '" + step + "'";
                jobs.finished(j.id(), JobRecord.FAILED, "the runner stopped while the job was " + status.toLowerCase()
                        + where + "; restart the job to resume it", now());
                log.warn("job {} was interrupted{} by a stop of the service: marked FAILED, restartable", j.id(), where);
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}

package com.seedsq.jobs.quantize;

import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.step.StepExecution;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.function.Consumer;

/**
 * Mirrors the Batch execution onto the job's row: RUNNING when it starts, and at the end COMPLETED, CANCELLED (the
 * user stopped it) or FAILED with the reason, naming the step that failed. Then tells {@code onFinished} (webhooks).
 */
public class JobStatusListener implements JobExecutionListener {

    private final Jobs jobs;
    private final Consumer<String> onFinished;

    public JobStatusListener(Jobs jobs, Consumer<String> onFinished) {
        this.jobs = jobs;
        this.onFinished = onFinished;
    }

    @Override
    public void beforeJob(JobExecution execution) {
        jobs.started(jobId(execution), execution.getId(), now());
    }

    @Override
    public void afterJob(JobExecution execution) {
        String jobId = jobId(execution);
        BatchStatus status = execution.getStatus();
        if (status == BatchStatus.COMPLETED) {
            jobs.finished(jobId, JobRecord.COMPLETED, null, now());
        } else if (status == BatchStatus.STOPPED || status == BatchStatus.STOPPING) {
            jobs.finished(jobId, JobRecord.CANCELLED, "cancelled by the user; restart to resume", now());
        } else {
            jobs.finished(jobId, JobRecord.FAILED, failure(execution), now());
        }
        onFinished.accept(jobId);
    }

    /** The first failure, as "step: message", which is what a user needs to act on. */
    static String failure(JobExecution execution) {
        for (StepExecution step : execution.getStepExecutions()) {
            if (!step.getFailureExceptions().isEmpty()) {
                Throwable t = step.getFailureExceptions().getFirst();
                return truncate(step.getStepName() + ": " + message(t));
            }
        }
        return execution.getAllFailureExceptions().isEmpty() ? "failed (" + execution.getExitStatus().getExitCode()
                + ")" : truncate(message(execution.getAllFailureExceptions().getFirst()));
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    private static String truncate(String s) {
        return s.length() <= 3900 ? s : s.substring(0, 3900) + "…";
    }

    static String jobId(JobExecution execution) {
        return execution.getJobParameters().getString(QuantizeJob.JOB_ID);
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}

package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobCancelledException;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeJob;
import com.seedsq.jobs.quantize.StepProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.dao.DataAccessException;

import java.time.Duration;
import java.time.Instant;

/**
 * A runner's side of one partition: runs it, trying a failing partition up to {@code attempts} times on this runner
 * before the partition (and so the job) fails, and records in the partition's context who ran it. Progress goes to
 * the manager through the partition's status; here the runner only checks, now and then, whether the user cancelled.
 */
public final class PartitionTasklet implements Tasklet {

    private static final Logger log = LoggerFactory.getLogger(PartitionTasklet.class);

    /** The queue the partition's request came from; set by the runner's request handler for the running thread. */
    public static final ThreadLocal<String> CURRENT_QUEUE = new ThreadLocal<>();

    private final JobStep.Services services;
    private final PartitionedWork work;
    private final RunnerIdentity runner;
    private final int attempts;

    public PartitionTasklet(JobStep.Services services, PartitionedWork work, RunnerIdentity runner, int attempts) {
        this.services = services;
        this.work = work;
        this.runner = runner;
        this.attempts = attempts;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        StepExecution execution = chunkContext.getStepContext().getStepExecution();
        ExecutionContext partition = execution.getExecutionContext();
        int index = partition.getInt(PartitionContext.INDEX);
        int count = partition.getInt(PartitionContext.COUNT);
        String jobId = execution.getJobExecution().getJobParameters().getString(QuantizeJob.JOB_ID);
        String queue = CURRENT_QUEUE.get() == null ? "?" : CURRENT_QUEUE.get();
        String backend = queue.endsWith(".cuda") ? "cuda" : "cpu";
        partition.putString(PartitionContext.RUNNER, runner.name());
        partition.putString(PartitionContext.DEVICE, runner.device(backend));
        partition.putString(PartitionContext.QUEUE, queue);
        log.info("job {}: running partition {} ({}) on runner {}", jobId, execution.getStepName(),
                partition.getString(PartitionContext.DESCRIPTION, "?"), runner.name());
        CancelCheck cancel = new CancelCheck(jobId);
        try {
            cancel.report(0, "starting");
            JobContext ctx = JobStep.open(services, jobId);
            for (int attempt = 1; ; attempt++) {
                partition.putInt(PartitionContext.ATTEMPTS, attempt);
                try {
                    work.run(ctx, index, count, cancel);
                    return RepeatStatus.FINISHED;
                } catch (JobCancelledException e) {
                    throw e;
                } catch (Exception e) {
                    if (attempt >= attempts) {
                        throw new PartitionException(work.step().stepName() + " partition " + index + " ("
                                + partition.getString(PartitionContext.DESCRIPTION, "?") + ") failed " + attempt
                                + " time(s) on runner " + runner.name() + ": " + e.getMessage(), e);
                    }
                    log.warn("job {}: {} partition {} failed (attempt {} of {}), trying again", jobId,
                            work.step().stepName(), index, attempt, attempts, e);
                }
            }
        } catch (JobCancelledException e) {
            execution.setTerminateOnly();
            contribution.setExitStatus(ExitStatus.STOPPED.addExitDescription("cancelled by the user"));
            return RepeatStatus.FINISHED;
        }
    }

    /** Fails a partition for good, with a message that says which and why. */
    static final class PartitionException extends RuntimeException {
        PartitionException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Looks at the job's cancel flag at most every two seconds; a database hiccup does not fail the partition. */
    private final class CancelCheck implements StepProgress {

        private final String jobId;
        private Instant last = Instant.EPOCH;

        CancelCheck(String jobId) {
            this.jobId = jobId;
        }

        @Override
        public void report(double fractionOfStep, String message) {
            Instant now = Instant.now();
            if (Duration.between(last, now).toMillis() < 2000) {
                return;
            }
            last = now;
            boolean cancelled;
            try {
                cancelled = services.jobs().cancelRequested(jobId);
            } catch (DataAccessException e) {
                return;
            }
            if (cancelled) {
                throw new JobCancelledException(jobId);
            }
        }
    }
}

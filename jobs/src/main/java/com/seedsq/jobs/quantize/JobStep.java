package com.seedsq.jobs.quantize;

import com.seedsq.jobs.model.LocalModel;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import com.seedsq.storage.metadata.Models;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;

/**
 * One step of the quantization job as a Spring Batch tasklet. This base does the plumbing every step shares (load
 * the job and its spec, report progress, honour cancellation); a subclass does only its own work in {@link #run}.
 */
public abstract class JobStep implements Tasklet {

    /** Shared services of all steps. {@code workRoot} holds one working directory per job. */
    public record Services(Jobs jobs, Models models, ArtifactStore store, Path workRoot, JsonMapper json,
                           TransactionTemplate ownTransaction) {
    }

    protected final Services services;
    private final QuantizeSteps step;

    protected JobStep(Services services, QuantizeSteps step) {
        this.services = services;
        this.step = step;
    }

    /**
     * Does the step's work. Results for later steps go to the artifact store (through {@code ctx}) or, if small,
     * to the job's execution context.
     */
    protected abstract void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception;

    /**
     * The job's context on this process: its row and spec, a working directory, and the model's files, fetched if
     * this process has not seen the job before (a restart elsewhere, or a remote runner).
     */
    public static JobContext open(Services services, String jobId) throws IOException {
        JobRecord job = services.jobs().get(jobId)
                .orElseThrow(() -> new IllegalStateException("job " + jobId + " is not in sq_job"));
        JobSpec spec = services.json().readValue(job.spec(), JobSpec.class);
        Path workDir = Files.createDirectories(services.workRoot().resolve(jobId));
        JobContext ctx = new JobContext(job, spec, workDir, services.store(), services.json());
        // A model that was deleted meanwhile is left to the step to report.
        if (services.models().find(job.tenant(), job.modelId()).isPresent()) {
            LocalModel.materialize(services.store(), services.models().files(job.modelId()), ctx.modelDir());
        }
        return ctx;
    }

    @Override
    public final RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        StepExecution execution = chunkContext.getStepContext().getStepExecution();
        String jobId = (String) chunkContext.getStepContext().getJobParameters().get(QuantizeJob.JOB_ID);
        JobContext ctx = open(services, jobId);
        Instant jobStart = execution.getJobExecution().getStartTime() == null ? Instant.now()
                : execution.getJobExecution().getStartTime().atZone(ZoneId.systemDefault()).toInstant();
        ProgressRecorder progress = new ProgressRecorder(services.jobs(), services.ownTransaction(), ctx.job().id(), step,
                jobStart);
        try {
            progress.report(0, step.stepName() + ": starting");
            run(ctx, progress, execution.getJobExecution().getExecutionContext());
            progress.report(1, step.stepName() + ": done");
        } catch (JobCancelledException e) {
            // Stop the job after this step, as Batch does for JobOperator.stop: the step ends STOPPED and a restart
            // runs it again from the start.
            execution.setTerminateOnly();
            contribution.setExitStatus(ExitStatus.STOPPED.addExitDescription("cancelled by the user"));
        }
        return RepeatStatus.FINISHED;
    }
}

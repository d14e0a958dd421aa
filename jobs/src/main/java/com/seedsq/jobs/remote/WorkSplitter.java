package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeJob;
import org.springframework.batch.core.job.JobExecutionException;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.partition.support.SimpleStepExecutionSplitter;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Cuts a manager step into the job's partitions. A Batch {@code Partitioner} sees only a grid size, but how many
 * partitions there are depends on the job (variants × datasets, the benchmark grid), so this splitter reads the job
 * first and hands the fixed contexts to Batch's own splitter, which keeps Batch's restart rules: on a restart only
 * the partitions that did not complete are created again.
 */
final class WorkSplitter implements StepExecutionSplitter {

    private final JobRepository repository;
    private final JobStep.Services services;
    private final PartitionedWork work;

    WorkSplitter(JobRepository repository, JobStep.Services services, PartitionedWork work) {
        this.repository = repository;
        this.services = services;
        this.work = work;
    }

    @Override
    public String getStepName() {
        return PartitionContext.workerStepName(work.step().stepName());
    }

    @Override
    public Set<StepExecution> split(StepExecution stepExecution, int gridSize) throws JobExecutionException {
        Map<String, ExecutionContext> contexts = new LinkedHashMap<>();
        try {
            JobContext ctx = JobStep.open(services, stepExecution.getJobExecution().getJobParameters()
                    .getString(QuantizeJob.JOB_ID));
            int count = work.partitions(ctx);
            for (int i = 0; i < count; i++) {
                contexts.put(String.format("p%04d", i), PartitionContext.of(i, count, work.describe(ctx, i, count)));
            }
        } catch (Exception e) {
            throw new JobExecutionException("cannot cut " + work.step().stepName() + " into partitions: "
                    + e.getMessage(), e);
        }
        return new SimpleStepExecutionSplitter(repository, getStepName(), grid -> contexts)
                .split(stepExecution, contexts.size());
    }
}

package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeJob;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.partition.StepExecutionAggregator;
import org.springframework.batch.core.partition.support.DefaultStepExecutionAggregator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs on the manager once every partition has finished: Batch's own aggregation (status, counts), then, if all
 * partitions completed, the step's merge in partition order, and a record of which runner ran which partition
 * ({@code partitions/<step>.json}, read by the package step into the report). If any failed, the step fails with
 * the partitions and their reasons named, not Batch's generic "unsuccessful step".
 */
final class PartitionMerger implements StepExecutionAggregator {

    /** One row of the report's partition table. */
    record Ran(int index, String partition, String status, String runner, String device, String queue, int attempts) {
    }

    private final DefaultStepExecutionAggregator standard = new DefaultStepExecutionAggregator();
    private final JobRepository repository;
    private final JobStep.Services services;
    private final PartitionedWork work;

    PartitionMerger(JobRepository repository, JobStep.Services services, PartitionedWork work) {
        this.repository = repository;
        this.services = services;
        this.work = work;
    }

    @Override
    public void aggregate(StepExecution result, Collection<StepExecution> executions) {
        standard.aggregate(result, executions);
        String jobId = result.getJobExecution().getJobParameters().getString(QuantizeJob.JOB_ID);
        List<StepExecution> failed = new ArrayList<>();
        for (StepExecution e : executions) {
            if (e.getStatus() == BatchStatus.FAILED || e.getStatus() == BatchStatus.ABANDONED
                    || e.getStatus() == BatchStatus.UNKNOWN) {
                failed.add(e);
            }
        }
        if (!failed.isEmpty()) {
            failed.sort(Comparator.comparing(StepExecution::getStepName));
            StringBuilder why = new StringBuilder();
            for (StepExecution e : failed) {
                ExecutionContext c = context(e);
                why.append(why.isEmpty() ? "" : "; ").append("partition ").append(e.getStepName())
                        .append(" (").append(c.getString(PartitionContext.DESCRIPTION, "?")).append(")")
                        .append(c.containsKey(PartitionContext.RUNNER) ? " on " + c.getString(PartitionContext.RUNNER)
                                : "")
                        .append(": ").append(firstLine(e.getExitStatus().getExitDescription()));
            }
            throw new PartitionFailedException(failed.size() + " of " + executions.size() + " partitions failed: "
                    + why);
        }
        if (result.getStatus() != BatchStatus.COMPLETED) {
            return; // stopped (cancelled): Batch ends the step STOPPED, nothing to merge
        }
        try {
            JobContext ctx = JobStep.open(services, jobId);
            // On a restart only the partitions that had not completed ran in this execution; the merge needs all.
            int count = work.partitions(ctx);
            work.merge(ctx, count);
            ctx.putJson("partitions/" + work.step().stepName() + ".json", runners(result, count));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("merging the " + work.step().stepName() + " partitions failed: "
                    + e.getMessage(), e);
        }
    }

    /** Who ran each partition: the latest completed execution of every partition name in this job instance. */
    private List<Ran> runners(StepExecution manager, int count) {
        Map<Integer, Ran> byIndex = new LinkedHashMap<>();
        String prefix = PartitionContext.workerStepName(work.step().stepName()) + ":";
        for (int i = 0; i < count; i++) {
            String name = prefix + String.format("p%04d", i);
            StepExecution last = repository.getLastStepExecution(manager.getJobExecution().getJobInstance(), name);
            if (last != null) {
                ExecutionContext c = context(last);
                byIndex.put(i, new Ran(i, c.getString(PartitionContext.DESCRIPTION, name), last.getStatus().name(),
                        c.getString(PartitionContext.RUNNER, "?"), c.getString(PartitionContext.DEVICE, "?"),
                        c.getString(PartitionContext.QUEUE, "?"), c.getInt(PartitionContext.ATTEMPTS, 0)));
            }
        }
        return new ArrayList<>(byIndex.values());
    }

    private ExecutionContext context(StepExecution e) {
        StepExecution fresh = repository.getStepExecution(e.getId());
        return fresh == null ? e.getExecutionContext() : fresh.getExecutionContext();
    }

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) {
            return "no reason recorded";
        }
        int nl = s.indexOf('\n');
        // Batch records the stack trace; its first line is "the.Exception$Class: message", and the message is it.
        String line = (nl < 0 ? s : s.substring(0, nl)).replaceFirst("^[\\w.$]+(Exception|Error): ", "");
        return line.length() > 400 ? line.substring(0, 400) + "…" : line;
    }

    /** A partition failed for good (after its runner's retries). */
    static final class PartitionFailedException extends RuntimeException {
        PartitionFailedException(String message) {
            super(message);
        }
    }
}

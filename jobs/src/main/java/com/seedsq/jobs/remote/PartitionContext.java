package com.seedsq.jobs.remote;

import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * The keys a partition's step execution context carries: what the manager put there (which partition) and what the
 * runner adds (who ran it), which the report's partition table is made of.
 */
public final class PartitionContext {

    public static final String INDEX = "sq.partition.index";
    public static final String COUNT = "sq.partition.count";
    public static final String DESCRIPTION = "sq.partition.description";
    public static final String RUNNER = "sq.partition.runner";
    public static final String DEVICE = "sq.partition.device";
    public static final String QUEUE = "sq.partition.queue";
    public static final String ATTEMPTS = "sq.partition.attempts";

    private PartitionContext() {
    }

    static ExecutionContext of(int index, int count, String description) {
        ExecutionContext c = new ExecutionContext();
        c.putInt(INDEX, index);
        c.putInt(COUNT, count);
        c.putString(DESCRIPTION, description);
        return c;
    }

    /** The name of a worker step: {@code evaluate.partition}. Partition executions are named {@code <that>:p0003}. */
    public static String workerStepName(String stepName) {
        return stepName + ".partition";
    }
}

package com.seedsq.jobs.quantize;

/**
 * A heavy step cut into independent partitions, for remote runners: the manager asks how many partitions a job's
 * step has, a runner runs one partition and stores its output under {@link #outputKey}, and once all are done the
 * manager merges the outputs <em>in partition order</em> into the step's artifact. Because every partition's output
 * depends only on the job and its index, and the merge order is fixed, the merged artifact is the same bytes
 * whichever runner ran which partition, and however often a partition was re-run.
 */
public interface PartitionedWork {

    QuantizeSteps step();

    /** How many partitions the job's step has (manager side; from the spec, without loading the model). */
    int partitions(JobContext ctx) throws Exception;

    /** A short name of partition {@code index} for progress messages and the report, e.g. {@code fp32 × wiki.txt}. */
    String describe(JobContext ctx, int index, int count) throws Exception;

    /** Runs one partition (runner side) and stores its output. */
    void run(JobContext ctx, int index, int count, StepProgress progress) throws Exception;

    /** Merges the partitions' outputs, in index order, into the step's artifact (manager side). */
    void merge(JobContext ctx, int count) throws Exception;

    /** Where partition {@code index}'s output goes among the job's artifacts. */
    static String outputKey(QuantizeSteps step, int index, String extension) {
        return "partitions/" + step.stepName() + "/" + String.format("%04d", index) + extension;
    }
}

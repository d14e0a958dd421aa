package com.seedsq.jobs.quantize;

/** Names shared by the job definition and the code that launches it. */
public final class QuantizeJob {

    /** The Spring Batch job's name. */
    public static final String NAME = "quantize";

    /** The identifying job parameter: the sq_job id. One Batch job instance per quantization job. */
    public static final String JOB_ID = "jobId";

    private QuantizeJob() {
    }
}

package com.seedsq.jobs.quantize;

/** Thrown from {@link StepProgress#report} when the user has cancelled the job; the step then stops cleanly. */
public class JobCancelledException extends RuntimeException {

    public JobCancelledException(String jobId) {
        super("job " + jobId + " was cancelled");
    }
}

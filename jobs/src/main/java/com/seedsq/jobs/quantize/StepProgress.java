package com.seedsq.jobs.quantize;

/**
 * What a step reports while it works: the fraction of the step done and a short message. Calling it is also where a
 * step learns that the user cancelled the job ({@link JobCancelledException}), so long loops stay responsive.
 */
@FunctionalInterface
public interface StepProgress {

    void report(double fractionOfStep, String message);
}

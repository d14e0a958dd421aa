package com.seedsq.jobs.quantize.steps;

/** The job cannot run as specified; names the spec field at fault. Fails the job with this message. */
public class JobSpecException extends RuntimeException {

    private final String field;

    public JobSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}

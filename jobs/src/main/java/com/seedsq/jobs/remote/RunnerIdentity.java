package com.seedsq.jobs.remote;

/**
 * Who a runner is, as the report names it: a stable name (host and process unless configured) and the device a
 * given backend runs on there.
 */
public interface RunnerIdentity {

    String name();

    /** The device behind {@code backend} on this runner ({@code cpu}: the CPU model; {@code cuda}: the GPU name). */
    String device(String backend);
}

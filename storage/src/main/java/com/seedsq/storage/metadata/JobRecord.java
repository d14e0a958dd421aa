package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** A quantization job as the API reports it; the Spring Batch tables hold its execution history. */
public record JobRecord(String id, String tenant, String modelId, String spec, String specHash, String idempotencyKey,
                        String status, String currentStep, double percent, Long etaSeconds, String message,
                        boolean cancelRequested, Long batchExecutionId, String report, OffsetDateTime createdAt,
                        OffsetDateTime startedAt, OffsetDateTime finishedAt, OffsetDateTime updatedAt) {

    public static final String QUEUED = "QUEUED";
    public static final String RUNNING = "RUNNING";
    public static final String COMPLETED = "COMPLETED";
    public static final String FAILED = "FAILED";
    public static final String CANCELLED = "CANCELLED";

    public boolean finished() {
        return status.equals(COMPLETED) || status.equals(FAILED) || status.equals(CANCELLED);
    }
}

package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** A resumable chunked upload of a model's files or a dataset. */
public record UploadRecord(String id, String tenant, String kind, String name, String status, String resultId,
                           OffsetDateTime createdAt, OffsetDateTime updatedAt) {

    public static final String OPEN = "OPEN";
    public static final String COMPLETED = "COMPLETED";
    public static final String ABORTED = "ABORTED";
}

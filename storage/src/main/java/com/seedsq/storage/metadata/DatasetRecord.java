package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** A calibration or evaluation text: plain text, or JSONL with a {@code text} field per line. */
public record DatasetRecord(String id, String tenant, String name, String format, long sizeBytes, String sha256,
                            String storageKey, OffsetDateTime createdAt) {
}

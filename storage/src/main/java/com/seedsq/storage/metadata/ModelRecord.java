package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** An uploaded model that passed inspection; what the engine found in it. */
public record ModelRecord(String id, String tenant, String name, String format, String architecture,
                          long parameters, int layers, int hiddenSize, int vocabSize, int maxSeqLen, String dtype,
                          long sizeBytes, OffsetDateTime createdAt) {
}

package com.seedsq.storage.metadata;

/** One file of a model: its name inside the model, and where its bytes are in the artifact store. */
public record ModelFileRecord(String modelId, String path, long sizeBytes, String sha256, String storageKey) {
}

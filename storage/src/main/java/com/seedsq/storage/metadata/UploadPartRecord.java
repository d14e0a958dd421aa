package com.seedsq.storage.metadata;

/** One received part of one file of an upload, stored as its own object until the upload completes. */
public record UploadPartRecord(String uploadId, int fileIndex, int partNumber, long sizeBytes, String sha256,
                               String storageKey) {
}

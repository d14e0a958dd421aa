package com.seedsq.storage.metadata;

/** A file an upload declared: its index (parts are addressed by it), name and exact size. */
public record UploadFileRecord(String uploadId, int fileIndex, String path, long sizeBytes) {
}

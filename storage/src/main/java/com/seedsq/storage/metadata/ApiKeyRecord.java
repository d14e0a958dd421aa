package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** An API key as stored: only the sha256 of the secret is kept. */
public record ApiKeyRecord(String id, String tenant, String name, String keyHash, boolean admin,
                           OffsetDateTime createdAt, OffsetDateTime revokedAt) {
}

package com.seedsq.storage.metadata;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The sq_api_key table. */
public class ApiKeys {

    private final JdbcClient jdbc;

    public ApiKeys(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(ApiKeyRecord key) {
        jdbc.sql("""
                        INSERT INTO sq_api_key (id, tenant, name, key_hash, admin, created_at, revoked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)""")
                .params(key.id(), key.tenant(), key.name(), key.keyHash(), key.admin(), key.createdAt(), key.revokedAt())
                .update();
    }

    /** The active (not revoked) key with this hash. */
    public Optional<ApiKeyRecord> findActiveByHash(String keyHash) {
        return jdbc.sql("SELECT * FROM sq_api_key WHERE key_hash = ? AND revoked_at IS NULL")
                .param(keyHash).query(ApiKeyRecord.class).optional();
    }

    public List<ApiKeyRecord> list() {
        return jdbc.sql("SELECT * FROM sq_api_key ORDER BY created_at").query(ApiKeyRecord.class).list();
    }

    /** Revokes a key; returns false when there is no such active key. */
    public boolean revoke(String id, OffsetDateTime at) {
        return jdbc.sql("UPDATE sq_api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .params(at, id).update() == 1;
    }
}

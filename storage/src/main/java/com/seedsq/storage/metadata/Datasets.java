package com.seedsq.storage.metadata;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.util.List;
import java.util.Optional;

/** The sq_dataset table. Every read is scoped to a tenant. */
public class Datasets {

    private final JdbcClient jdbc;

    public Datasets(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(DatasetRecord d) {
        jdbc.sql("""
                        INSERT INTO sq_dataset (id, tenant, name, format, size_bytes, sha256, storage_key, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(d.id(), d.tenant(), d.name(), d.format(), d.sizeBytes(), d.sha256(), d.storageKey(),
                        d.createdAt())
                .update();
    }

    public Optional<DatasetRecord> find(String tenant, String id) {
        return jdbc.sql("SELECT * FROM sq_dataset WHERE tenant = ? AND id = ?")
                .params(tenant, id).query(DatasetRecord.class).optional();
    }

    public List<DatasetRecord> list(String tenant) {
        return jdbc.sql("SELECT * FROM sq_dataset WHERE tenant = ? ORDER BY created_at DESC, id")
                .param(tenant).query(DatasetRecord.class).list();
    }

    public boolean delete(String tenant, String id) {
        return jdbc.sql("DELETE FROM sq_dataset WHERE tenant = ? AND id = ?").params(tenant, id).update() == 1;
    }
}

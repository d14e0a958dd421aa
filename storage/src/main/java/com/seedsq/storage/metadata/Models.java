package com.seedsq.storage.metadata;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;

import java.util.List;
import java.util.Optional;

/** The sq_model and sq_model_file tables. Every read is scoped to a tenant. */
public class Models {

    private final JdbcClient jdbc;

    public Models(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public void insert(ModelRecord m, List<ModelFileRecord> files) {
        jdbc.sql("""
                        INSERT INTO sq_model (id, tenant, name, format, architecture, parameters, layers, hidden_size,
                                              vocab_size, max_seq_len, dtype, size_bytes, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(m.id(), m.tenant(), m.name(), m.format(), m.architecture(), m.parameters(), m.layers(),
                        m.hiddenSize(), m.vocabSize(), m.maxSeqLen(), m.dtype(), m.sizeBytes(), m.createdAt())
                .update();
        for (ModelFileRecord f : files) {
            jdbc.sql("INSERT INTO sq_model_file (model_id, path, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?)")
                    .params(f.modelId(), f.path(), f.sizeBytes(), f.sha256(), f.storageKey())
                    .update();
        }
    }

    public Optional<ModelRecord> find(String tenant, String id) {
        return jdbc.sql("SELECT * FROM sq_model WHERE tenant = ? AND id = ?")
                .params(tenant, id).query(ModelRecord.class).optional();
    }

    public List<ModelRecord> list(String tenant) {
        return jdbc.sql("SELECT * FROM sq_model WHERE tenant = ? ORDER BY created_at DESC, id")
                .param(tenant).query(ModelRecord.class).list();
    }

    public List<ModelFileRecord> files(String modelId) {
        return jdbc.sql("SELECT * FROM sq_model_file WHERE model_id = ? ORDER BY path")
                .param(modelId).query(ModelFileRecord.class).list();
    }

    /** Deletes the model row (its file rows cascade); false when the tenant has no such model. */
    public boolean delete(String tenant, String id) {
        return jdbc.sql("DELETE FROM sq_model WHERE tenant = ? AND id = ?").params(tenant, id).update() == 1;
    }
}

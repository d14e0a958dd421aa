package com.seedsq.storage.metadata;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The sq_upload, sq_upload_file and sq_upload_part tables. */
public class Uploads {

    private final JdbcClient jdbc;

    public Uploads(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public void insert(UploadRecord u, List<UploadFileRecord> files) {
        jdbc.sql("""
                        INSERT INTO sq_upload (id, tenant, kind, name, status, result_id, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(u.id(), u.tenant(), u.kind(), u.name(), u.status(), u.resultId(), u.createdAt(), u.updatedAt())
                .update();
        for (UploadFileRecord f : files) {
            jdbc.sql("INSERT INTO sq_upload_file (upload_id, file_index, path, size_bytes) VALUES (?, ?, ?, ?)")
                    .params(f.uploadId(), f.fileIndex(), f.path(), f.sizeBytes()).update();
        }
    }

    public Optional<UploadRecord> find(String tenant, String id) {
        return jdbc.sql("SELECT * FROM sq_upload WHERE tenant = ? AND id = ?")
                .params(tenant, id).query(UploadRecord.class).optional();
    }

    public List<UploadFileRecord> files(String uploadId) {
        return jdbc.sql("SELECT * FROM sq_upload_file WHERE upload_id = ? ORDER BY file_index")
                .param(uploadId).query(UploadFileRecord.class).list();
    }

    public List<UploadPartRecord> parts(String uploadId) {
        return jdbc.sql("SELECT * FROM sq_upload_part WHERE upload_id = ? ORDER BY file_index, part_number")
                .param(uploadId).query(UploadPartRecord.class).list();
    }

    /** Records a part, replacing an earlier copy of the same part (a client retrying after a lost response). */
    @Transactional
    public void putPart(UploadPartRecord p, OffsetDateTime now) {
        jdbc.sql("DELETE FROM sq_upload_part WHERE upload_id = ? AND file_index = ? AND part_number = ?")
                .params(p.uploadId(), p.fileIndex(), p.partNumber()).update();
        jdbc.sql("""
                        INSERT INTO sq_upload_part (upload_id, file_index, part_number, size_bytes, sha256, storage_key)
                        VALUES (?, ?, ?, ?, ?, ?)""")
                .params(p.uploadId(), p.fileIndex(), p.partNumber(), p.sizeBytes(), p.sha256(), p.storageKey())
                .update();
        jdbc.sql("UPDATE sq_upload SET updated_at = ? WHERE id = ?").params(now, p.uploadId()).update();
    }

    /** OPEN uploads that received nothing since {@code before}: abandoned by their clients. */
    public List<UploadRecord> openSince(OffsetDateTime before) {
        return jdbc.sql("SELECT * FROM sq_upload WHERE status = 'OPEN' AND updated_at < ? ORDER BY updated_at")
                .param(before).query(UploadRecord.class).list();
    }

    /** Moves an OPEN upload to {@code status}; false if it was no longer OPEN (a concurrent complete or abort). */
    @Transactional
    public boolean close(String id, String status, String resultId, OffsetDateTime now) {
        int n = jdbc.sql("UPDATE sq_upload SET status = ?, result_id = ?, updated_at = ? WHERE id = ? AND status = ?")
                .params(status, resultId, now, id, UploadRecord.OPEN).update();
        if (n == 1) {
            jdbc.sql("DELETE FROM sq_upload_part WHERE upload_id = ?").param(id).update();
        }
        return n == 1;
    }
}

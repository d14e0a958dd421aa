package com.seedsq.storage.metadata;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The sq_job table. Reads for the API are scoped to a tenant; the job runner addresses jobs by id alone. */
public class Jobs {

    private final JdbcClient jdbc;

    public Jobs(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Inserts a new job, or returns the tenant's existing job with the same idempotency key (a retried submit).
     *
     * @return the job that now stands for this submission, and whether it was created by this call
     */
    public Inserted insertOrGetIdempotent(JobRecord j) {
        try {
            jdbc.sql("""
                            INSERT INTO sq_job (id, tenant, model_id, spec, spec_hash, idempotency_key, status, percent,
                                                cancel_requested, created_at, updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, 0, FALSE, ?, ?)""")
                    .params(j.id(), j.tenant(), j.modelId(), j.spec(), j.specHash(), j.idempotencyKey(), j.status(),
                            j.createdAt(), j.createdAt())
                    .update();
            return new Inserted(find(j.tenant(), j.id()).orElseThrow(), true);
        } catch (DuplicateKeyException e) {
            if (j.idempotencyKey() == null) {
                throw e;
            }
            return new Inserted(jdbc.sql("SELECT * FROM sq_job WHERE tenant = ? AND idempotency_key = ?")
                    .params(j.tenant(), j.idempotencyKey()).query(JobRecord.class).single(), false);
        }
    }

    public record Inserted(JobRecord job, boolean created) {
    }

    public Optional<JobRecord> find(String tenant, String id) {
        return jdbc.sql("SELECT * FROM sq_job WHERE tenant = ? AND id = ?").params(tenant, id)
                .query(JobRecord.class).optional();
    }

    public Optional<JobRecord> get(String id) {
        return jdbc.sql("SELECT * FROM sq_job WHERE id = ?").param(id).query(JobRecord.class).optional();
    }

    public List<JobRecord> list(String tenant) {
        return jdbc.sql("SELECT * FROM sq_job WHERE tenant = ? ORDER BY created_at DESC, id").param(tenant)
                .query(JobRecord.class).list();
    }

    public List<JobRecord> withStatus(String status) {
        return jdbc.sql("SELECT * FROM sq_job WHERE status = ?").param(status).query(JobRecord.class).list();
    }

    public void started(String id, long batchExecutionId, OffsetDateTime now) {
        jdbc.sql("""
                        UPDATE sq_job SET status = 'RUNNING', batch_execution_id = ?, message = NULL,
                               started_at = COALESCE(started_at, ?), finished_at = NULL, updated_at = ?
                        WHERE id = ?""")
                .params(batchExecutionId, now, now, id).update();
    }

    public void progress(String id, String step, double percent, Long etaSeconds, String message, OffsetDateTime now) {
        jdbc.sql("""
                        UPDATE sq_job SET current_step = ?, percent = ?, eta_seconds = ?, message = ?, updated_at = ?
                        WHERE id = ? AND status = 'RUNNING'""")
                .params(step, percent, etaSeconds, message, now, id).update();
    }

    public void finished(String id, String status, String message, OffsetDateTime now) {
        jdbc.sql("""
                        UPDATE sq_job SET status = ?, message = ?, eta_seconds = NULL, finished_at = ?, updated_at = ?,
                               percent = CASE WHEN ? = 'COMPLETED' THEN 100 ELSE percent END
                        WHERE id = ?""")
                .params(status, message, now, now, status, id).update();
    }

    /** Puts a FAILED or CANCELLED job back in the queue for a restart; false if it was in another state. */
    public boolean requeue(String id, OffsetDateTime now) {
        return jdbc.sql("""
                        UPDATE sq_job SET status = 'QUEUED', message = NULL, finished_at = NULL, eta_seconds = NULL,
                               cancel_requested = FALSE, updated_at = ?
                        WHERE id = ? AND status IN ('FAILED', 'CANCELLED')""")
                .params(now, id).update() == 1;
    }

    public void report(String id, String reportJson, OffsetDateTime now) {
        jdbc.sql("UPDATE sq_job SET report = ?, updated_at = ? WHERE id = ?").params(reportJson, now, id).update();
    }

    /** Flags a running or queued job for cancellation; false if it has already finished. */
    public boolean requestCancel(String id, OffsetDateTime now) {
        return jdbc.sql("""
                        UPDATE sq_job SET cancel_requested = TRUE, updated_at = ?
                        WHERE id = ? AND status IN ('QUEUED', 'RUNNING')""")
                .params(now, id).update() == 1;
    }

    public boolean cancelRequested(String id) {
        return jdbc.sql("SELECT cancel_requested FROM sq_job WHERE id = ?").param(id).query(Boolean.class).single();
    }
}

-- Quantization jobs as users see them. The Spring Batch tables hold the execution history (steps, contexts,
-- restarts); this table holds what the API reports: the spec, the progress, the outcome and the report.
CREATE TABLE sq_job (
    id                  VARCHAR(36)   PRIMARY KEY,
    tenant              VARCHAR(64)   NOT NULL,
    model_id            VARCHAR(36)   NOT NULL,   -- no foreign key: deleting a model keeps its jobs' reports
    spec                TEXT          NOT NULL,   -- the submitted JSON job spec, normalised
    spec_hash           CHAR(64)      NOT NULL,   -- to tell an idempotent retry from a different spec under one key
    idempotency_key     VARCHAR(200),
    status              VARCHAR(16)   NOT NULL,   -- QUEUED | RUNNING | COMPLETED | FAILED | CANCELLED
    current_step        VARCHAR(32),
    percent             DOUBLE PRECISION NOT NULL,
    eta_seconds         BIGINT,
    message             VARCHAR(4000),
    cancel_requested    BOOLEAN       NOT NULL,
    batch_execution_id  BIGINT,
    report              TEXT,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at          TIMESTAMP WITH TIME ZONE,
    finished_at         TIMESTAMP WITH TIME ZONE,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT sq_job_idempotency UNIQUE (tenant, idempotency_key)
);
CREATE INDEX sq_job_tenant ON sq_job (tenant, created_at);

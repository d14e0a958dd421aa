-- The product's own tables. Portable SQL: the same script runs on PostgreSQL (production) and H2 (embedded).
-- Ids are random UUIDs, so guessing one gets nothing; every row that belongs to a tenant says so, and every query
-- the API runs filters on it.

CREATE TABLE sq_api_key (
    id          VARCHAR(36)  PRIMARY KEY,
    tenant      VARCHAR(64)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    key_hash    CHAR(64)     NOT NULL UNIQUE,   -- sha256 of the key; the key itself is shown once and never stored
    admin       BOOLEAN      NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at  TIMESTAMP WITH TIME ZONE
);

CREATE TABLE sq_model (
    id            VARCHAR(36)  PRIMARY KEY,
    tenant        VARCHAR(64)  NOT NULL,
    name          VARCHAR(200) NOT NULL,
    format        VARCHAR(16)  NOT NULL,        -- hf | gguf | llama2c
    architecture  VARCHAR(64)  NOT NULL,
    parameters    BIGINT       NOT NULL,
    layers        INTEGER      NOT NULL,
    hidden_size   INTEGER      NOT NULL,
    vocab_size    INTEGER      NOT NULL,
    max_seq_len   INTEGER      NOT NULL,
    dtype         VARCHAR(8)   NOT NULL,
    size_bytes    BIGINT       NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX sq_model_tenant ON sq_model (tenant, created_at);

CREATE TABLE sq_model_file (
    model_id     VARCHAR(36)   NOT NULL REFERENCES sq_model (id) ON DELETE CASCADE,
    path         VARCHAR(255)  NOT NULL,        -- the file's name inside the model (config.json, model.safetensors)
    size_bytes   BIGINT        NOT NULL,
    sha256       CHAR(64)      NOT NULL,
    storage_key  VARCHAR(1000) NOT NULL,
    PRIMARY KEY (model_id, path)
);

CREATE TABLE sq_dataset (
    id           VARCHAR(36)   PRIMARY KEY,
    tenant       VARCHAR(64)   NOT NULL,
    name         VARCHAR(200)  NOT NULL,
    format       VARCHAR(8)    NOT NULL,        -- text | jsonl
    size_bytes   BIGINT        NOT NULL,
    sha256       CHAR(64)      NOT NULL,
    storage_key  VARCHAR(1000) NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX sq_dataset_tenant ON sq_dataset (tenant, created_at);

-- Resumable chunked uploads: an upload declares its files, then receives numbered parts of each, then completes.
CREATE TABLE sq_upload (
    id          VARCHAR(36)  PRIMARY KEY,
    tenant      VARCHAR(64)  NOT NULL,
    kind        VARCHAR(8)   NOT NULL,          -- model | dataset
    name        VARCHAR(200) NOT NULL,
    status      VARCHAR(16)  NOT NULL,          -- OPEN | COMPLETED | ABORTED
    result_id   VARCHAR(36),                    -- the model or dataset it became
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE sq_upload_file (
    upload_id   VARCHAR(36)  NOT NULL REFERENCES sq_upload (id) ON DELETE CASCADE,
    file_index  INTEGER      NOT NULL,
    path        VARCHAR(255) NOT NULL,
    size_bytes  BIGINT       NOT NULL,
    PRIMARY KEY (upload_id, file_index)
);

CREATE TABLE sq_upload_part (
    upload_id    VARCHAR(36)   NOT NULL REFERENCES sq_upload (id) ON DELETE CASCADE,
    file_index   INTEGER       NOT NULL,
    part_number  INTEGER       NOT NULL,
    size_bytes   BIGINT        NOT NULL,
    sha256       CHAR(64)      NOT NULL,
    storage_key  VARCHAR(1000) NOT NULL,
    PRIMARY KEY (upload_id, file_index, part_number)
);

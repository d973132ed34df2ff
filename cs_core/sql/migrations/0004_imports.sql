-- Imports (DAT-2): the external id of every imported record, saved column mappings, and
-- a log of import runs.
CREATE TABLE record_external_ids (
    object VARCHAR NOT NULL,
    external_id VARCHAR NOT NULL,
    record_id BIGINT NOT NULL,
    PRIMARY KEY (object, external_id)
);

CREATE TABLE import_mappings (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    mapping VARCHAR NOT NULL,          -- JSON: column -> what it becomes
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE import_runs (
    id BIGINT PRIMARY KEY,
    object VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    actor_id BIGINT,                   -- NULL for the command line
    finished_at TIMESTAMP NOT NULL
);

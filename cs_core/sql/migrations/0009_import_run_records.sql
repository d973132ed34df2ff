-- The records each import created or updated, so "the records imported from FILE" is a filter.
CREATE TABLE import_run_records (
    run_id BIGINT NOT NULL,
    object VARCHAR NOT NULL,
    record_id BIGINT NOT NULL
);

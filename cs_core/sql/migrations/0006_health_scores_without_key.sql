-- health_scores keeps one row per (profile, record, score date) because every run deletes
-- that date's rows and inserts the new ones in one serialised transaction. Its primary-key
-- index cost more than the scoring itself (about 180 of 340 ms for a 100k-account run), so
-- the table is rebuilt without it. On PostgreSQL an ordinary index serves the same lookups.
CREATE TABLE health_scores_unkeyed (
    profile_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    score_date DATE NOT NULL,
    profile_version BIGINT NOT NULL,
    score DOUBLE NOT NULL,
    category VARCHAR NOT NULL,
    details VARCHAR,
    computed_at TIMESTAMP NOT NULL
);
INSERT INTO health_scores_unkeyed SELECT * FROM health_scores ORDER BY profile_id, score_date, record_id;
DROP TABLE health_scores;
ALTER TABLE health_scores_unkeyed RENAME TO health_scores;

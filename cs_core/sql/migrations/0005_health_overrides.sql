-- Manual health-score overrides (HS-8): a CSM sets a score with a reason until a date; the
-- computed score is kept beside it.
CREATE TABLE health_overrides (
    id BIGINT PRIMARY KEY,
    profile_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    score BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    expires_on DATE NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);

-- Keys the design relies on, versions that remember being live, and the daily job's log.

-- A standard view exists once per object: two first sessions at once created them twice.
-- Keep the oldest of each (a deleted one stays deleted), then let the key enforce it.
DELETE FROM views v
WHERE v.standard_key IS NOT NULL
  AND EXISTS (SELECT 1 FROM views w WHERE w.object = v.object AND w.standard_key = v.standard_key
              AND w.id < v.id);
CREATE UNIQUE INDEX views_standard_key ON views (object, standard_key);

-- Profile names are unique (case-insensitively): a profile is found by its name.
UPDATE health_profiles p SET name = p.name || ' (' || CAST(p.id AS VARCHAR) || ')'
WHERE EXISTS (SELECT 1 FROM health_profiles q WHERE lower(q.name) = lower(p.name) AND q.id < p.id);
CREATE UNIQUE INDEX health_profiles_name ON health_profiles (lower(name));

-- A version that has been live is never edited again: scores in the history point at it.
ALTER TABLE health_profile_versions ADD COLUMN published_at TIMESTAMP;
UPDATE health_profile_versions v SET published_at = v.created_at
WHERE EXISTS (SELECT 1 FROM health_profiles p WHERE p.id = v.profile_id AND p.status = 'live'
              AND p.version = v.version)
   OR EXISTS (SELECT 1 FROM health_scores h WHERE h.profile_id = v.profile_id
              AND h.profile_version = v.version);

-- Each current score carries its active manual override (HS-8), kept by the override writes
-- and the scoring runs: a read of the score in effect is then one scan, with no join.
ALTER TABLE health_current ADD COLUMN override_score DOUBLE;
ALTER TABLE health_current ADD COLUMN override_until DATE;
UPDATE health_current c SET override_score = o.score, override_until = o.expires_on
FROM health_overrides o
WHERE o.profile_id = c.profile_id AND o.record_id = c.record_id AND o.removed_at IS NULL;

-- The daily job (recompute every live profile, expire alerts): one row per run.
CREATE TABLE job_runs (
    id BIGINT PRIMARY KEY,
    job VARCHAR NOT NULL,              -- daily_health
    trigger VARCHAR NOT NULL,          -- schedule, missed, manual, command line
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,           -- running, ok, failed, partial
    profiles BIGINT NOT NULL DEFAULT 0,
    records_scored BIGINT NOT NULL DEFAULT 0,
    alerts_raised BIGINT NOT NULL DEFAULT 0,
    alerts_expired BIGINT NOT NULL DEFAULT 0,
    errors VARCHAR NOT NULL DEFAULT '[]'   -- JSON list of messages
);

-- Each record's current health score per profile, apart from the dated history.
--
-- Until now "current" meant the rows of a profile's latest score date. A record rescored
-- on its own (after an edit) on a later day than the last full run then became the only
-- row of that date, and the profile's figures shrank to that one record. The current
-- table holds one row per (profile, record): replaced whole by a full run, row by row by
-- a one-record run. Like health_scores it has no key index (see 0006); the engine keeps
-- one row per pair inside its serialised write transactions.
-- The explanation (points per rule) stays in the history row of the current score's date.
CREATE TABLE health_current (
    profile_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    score_date DATE NOT NULL,
    score DOUBLE NOT NULL,
    category VARCHAR NOT NULL
);
INSERT INTO health_current
SELECT h.profile_id, h.record_id, h.score_date, h.score, h.category
FROM health_scores h
JOIN (SELECT profile_id, max(score_date) AS day FROM health_scores GROUP BY profile_id) l
  ON l.profile_id = h.profile_id AND l.day = h.score_date
ORDER BY h.profile_id, h.record_id;

-- One account's activities (record page, preview, one-record rescoring) are read by an
-- index instead of a scan of every activity.
CREATE INDEX activities_company ON activities (company_id);
CREATE INDEX activities_contact ON activities (contact_id);

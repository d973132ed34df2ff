-- The health-score profile each user last chose on their Summary tab (SUM-6). A profile that is
-- no longer live is ignored on reading, so none is referenced by key here.
CREATE TABLE IF NOT EXISTS summary_preferences (
    user_id BIGINT PRIMARY KEY,
    health_profile_id BIGINT
);

-- Every backup of the workspace, made or failed (Settings → Backups shows the last one).
CREATE TABLE IF NOT EXISTS backups (
    id BIGINT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,     -- UTC
    seconds DOUBLE NOT NULL,           -- how long it took
    file VARCHAR NOT NULL,             -- the backup file (absolute path); failed: the folder
    bytes BIGINT,                      -- its size (NULL when it failed)
    schema_version BIGINT NOT NULL,    -- the workspace's schema version it holds
    trigger VARCHAR NOT NULL,          -- settings, command line, command line through the app
    actor_id BIGINT,                   -- the user who asked (NULL: the operator's command line)
    status VARCHAR NOT NULL,           -- ok, failed
    error VARCHAR                      -- why it failed
);

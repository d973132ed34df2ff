-- Subscriptions become a standard object in every workspace (REN-2): the revenue ledger that
-- retention is computed from. A line has an ARR, a start day, an optional end day (the first
-- day it is no longer active), a renewal date, a plan and an owner, and is associated with its
-- account. A workspace that made its own "subscriptions" object keeps its table and records:
-- the missing columns and catalog rows are added and the object is marked standard.
CREATE TABLE IF NOT EXISTS subscriptions (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    pipeline_id BIGINT,
    stage_id BIGINT,
    plan VARCHAR,
    arr DOUBLE,
    start_date DATE,
    end_date DATE,
    renewal_date DATE,
    owner_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP
);
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS pipeline_id BIGINT;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS stage_id BIGINT;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS plan VARCHAR;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS arr DOUBLE;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS start_date DATE;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS end_date DATE;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS renewal_date DATE;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS owner_id BIGINT;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS last_activity_at TIMESTAMP;

INSERT INTO objects
SELECT 'subscriptions', 'Subscription', 'Subscriptions', FALSE, TRUE, 'name', (SELECT coalesce(max(position), 0) + 1 FROM objects)
WHERE NOT EXISTS (SELECT 1 FROM objects WHERE name = 'subscriptions');
UPDATE objects SET is_custom = FALSE WHERE name = 'subscriptions';

INSERT INTO properties (object, name, label, type, options, group_name, is_custom, is_read_only, position)
SELECT 'subscriptions', v.name, v.label, v.type, NULL, v.grp, FALSE, v.ro, v.pos
FROM (VALUES
    ('name', 'Subscription name', 'string', 'Subscription information', FALSE, 1),
    ('pipeline_id', 'Pipeline', 'pipeline', 'Subscription information', FALSE, 2),
    ('stage_id', 'Stage', 'stage', 'Subscription information', FALSE, 3),
    ('plan', 'Plan', 'string', 'Subscription information', FALSE, 4),
    ('arr', 'ARR', 'number', 'Subscription information', FALSE, 5),
    ('start_date', 'Start date', 'date', 'Subscription information', FALSE, 6),
    ('end_date', 'End date', 'date', 'Subscription information', FALSE, 7),
    ('renewal_date', 'Renewal date', 'date', 'Subscription information', FALSE, 8),
    ('owner_id', 'Subscription owner', 'user', 'Ownership', FALSE, 9),
    ('created_at', 'Create date', 'datetime', 'System', TRUE, 10),
    ('updated_at', 'Last modified date', 'datetime', 'System', TRUE, 11),
    ('last_activity_at', 'Last activity date', 'datetime', 'System', TRUE, 12)
) v(name, label, type, grp, ro, pos)
WHERE NOT EXISTS (SELECT 1 FROM properties p WHERE p.object = 'subscriptions' AND p.name = v.name);
UPDATE properties SET is_custom = FALSE
WHERE object = 'subscriptions' AND name IN ('name', 'pipeline_id', 'stage_id', 'plan', 'arr', 'start_date', 'end_date',
                                            'renewal_date', 'owner_id', 'created_at', 'updated_at', 'last_activity_at');

-- The workspace schema. Portable column types only (BIGINT, DOUBLE, DECIMAL, VARCHAR,
-- BOOLEAN, DATE, TIMESTAMP; JSON is stored as VARCHAR text). Ids are made in cs_core.
-- Timestamps are UTC.

CREATE TABLE counters (
    name VARCHAR PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters VALUES ('data_version', 0);

CREATE TABLE teams (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    team_id BIGINT,
    time_zone VARCHAR NOT NULL DEFAULT 'UTC',
    is_super_admin BOOLEAN NOT NULL DEFAULT FALSE,
    has_workspace_access BOOLEAN NOT NULL DEFAULT FALSE,
    can_manage_settings BOOLEAN NOT NULL DEFAULT FALSE,
    has_service_seat BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

-- Objects (standard and custom) and their property catalog.
CREATE TABLE objects (
    name VARCHAR PRIMARY KEY,          -- internal name, also the record table's name
    label VARCHAR NOT NULL,            -- singular
    label_plural VARCHAR NOT NULL,
    is_custom BOOLEAN NOT NULL DEFAULT FALSE,
    is_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    primary_property VARCHAR NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE properties (
    object VARCHAR NOT NULL,
    name VARCHAR NOT NULL,             -- internal name, also the column name
    label VARCHAR NOT NULL,
    type VARCHAR NOT NULL,             -- string, number, date, datetime, boolean, enumeration, user
    options VARCHAR,                   -- JSON list of options for enumerations
    group_name VARCHAR NOT NULL DEFAULT 'Properties',
    is_custom BOOLEAN NOT NULL DEFAULT FALSE,
    is_read_only BOOLEAN NOT NULL DEFAULT FALSE,
    position BIGINT NOT NULL,
    PRIMARY KEY (object, name)
);

CREATE TABLE pipelines (
    id BIGINT PRIMARY KEY,
    object VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE stages (
    id BIGINT PRIMARY KEY,
    pipeline_id BIGINT NOT NULL,
    label VARCHAR NOT NULL,
    position BIGINT NOT NULL,
    probability DOUBLE,
    is_closed BOOLEAN NOT NULL DEFAULT FALSE,
    required_properties VARCHAR NOT NULL DEFAULT '[]'  -- JSON list of property names
);

-- Standard objects. Custom objects get a table of the same shape at creation.
CREATE TABLE companies (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    domain VARCHAR,
    industry VARCHAR,
    segment VARCHAR,
    plan VARCHAR,
    country VARCHAR,
    city VARCHAR,
    employees BIGINT,
    annual_revenue DOUBLE,
    lifecycle_stage VARCHAR,
    owner_id BIGINT,
    csm_id BIGINT,
    renewal_date DATE,
    customer_since DATE,
    nps DOUBLE,
    open_tickets BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP
);

CREATE TABLE contacts (
    id BIGINT PRIMARY KEY,
    first_name VARCHAR,
    last_name VARCHAR,
    email VARCHAR,
    job_title VARCHAR,
    phone VARCHAR,
    company_id BIGINT,
    lifecycle_stage VARCHAR,
    owner_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP
);

CREATE TABLE deals (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    amount DOUBLE,
    deal_type VARCHAR,
    pipeline_id BIGINT,
    stage_id BIGINT,
    close_date DATE,
    owner_id BIGINT,
    company_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP
);

CREATE TABLE services (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    service_type VARCHAR,
    pipeline_id BIGINT,
    stage_id BIGINT,
    owner_id BIGINT,
    company_id BIGINT,
    start_date DATE,
    target_date DATE,
    kickoff_notes VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP
);

-- Associations are stored in both directions so a lookup from either side is one filter.
CREATE TABLE associations (
    from_object VARCHAR NOT NULL,
    from_id BIGINT NOT NULL,
    to_object VARCHAR NOT NULL,
    to_id BIGINT NOT NULL,
    label VARCHAR,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (from_object, from_id, to_object, to_id)
);

CREATE TABLE property_history (
    id BIGINT PRIMARY KEY,
    object VARCHAR NOT NULL,
    record_id BIGINT NOT NULL,
    property VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    changed_at TIMESTAMP NOT NULL,
    changed_by BIGINT,                 -- user id; NULL for imports and system changes
    source VARCHAR NOT NULL            -- ui, import, system, demo, merge, ...
);

CREATE TABLE tasks (
    id BIGINT PRIMARY KEY,
    title VARCHAR NOT NULL,
    task_type VARCHAR NOT NULL,        -- todo, call, email
    status VARCHAR NOT NULL,           -- open, completed
    priority VARCHAR NOT NULL,         -- none, low, medium, high
    due_at TIMESTAMP,
    completed_at TIMESTAMP,
    owner_id BIGINT,
    object VARCHAR,
    record_id BIGINT,
    notes VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT
);

CREATE TABLE meetings (
    id BIGINT PRIMARY KEY,
    title VARCHAR NOT NULL,
    start_at TIMESTAMP NOT NULL,
    end_at TIMESTAMP NOT NULL,
    owner_id BIGINT,
    object VARCHAR,
    record_id BIGINT,
    attendees VARCHAR NOT NULL DEFAULT '[]',   -- JSON list of names/emails
    location VARCHAR,
    meeting_link VARCHAR,
    notes VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sequences (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    owner_id BIGINT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sequence_enrollments (
    id BIGINT PRIMARY KEY,
    sequence_id BIGINT NOT NULL,
    contact_id BIGINT NOT NULL,
    enrolled_by BIGINT,
    enrolled_at TIMESTAMP NOT NULL,
    unenrolled_at TIMESTAMP
);

-- Activities: email_open, email_click, email_reply, page_view, form_submission,
-- sequence_enrolled, sequence_unenrolled, meeting_booked, call, meeting, note.
CREATE TABLE activities (
    id BIGINT PRIMARY KEY,
    activity_type VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    contact_id BIGINT,
    company_id BIGINT,
    object VARCHAR,
    record_id BIGINT,
    user_id BIGINT,
    sequence_id BIGINT,
    subject VARCHAR,
    body VARCHAR
);

CREATE TABLE follows (
    user_id BIGINT NOT NULL,
    object VARCHAR NOT NULL,
    record_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, object, record_id)
);

CREATE TABLE feed_dismissals (
    user_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL,
    dismissed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, activity_id)
);

CREATE TABLE views (
    id BIGINT PRIMARY KEY,
    object VARCHAR NOT NULL,           -- an object name, or 'tasks'
    name VARCHAR NOT NULL,
    owner_id BIGINT,
    sharing VARCHAR NOT NULL,          -- private, everyone
    is_standard BOOLEAN NOT NULL DEFAULT FALSE,
    filters VARCHAR NOT NULL DEFAULT '[]',
    columns VARCHAR NOT NULL DEFAULT '[]',
    sort VARCHAR NOT NULL DEFAULT '[]',
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    default_position BIGINT,
    description VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL,            -- JSON
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);

CREATE TABLE health_profiles (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    status VARCHAR NOT NULL,           -- draft, live
    version BIGINT NOT NULL,
    definition VARCHAR NOT NULL,       -- JSON, the format of spec/health-profiles.md
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE health_profile_versions (
    profile_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    definition VARCHAR NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (profile_id, version)
);

CREATE TABLE health_scores (
    profile_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    score_date DATE NOT NULL,
    profile_version BIGINT NOT NULL,
    score DOUBLE NOT NULL,
    category VARCHAR NOT NULL,         -- at_risk, neutral, successful
    details VARCHAR,                   -- JSON: points per rule and group
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (profile_id, record_id, score_date)
);

CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    object VARCHAR NOT NULL,
    record_id BIGINT NOT NULL,
    profile_id BIGINT,
    old_category VARCHAR,
    new_category VARCHAR NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    owner_id BIGINT,
    definition VARCHAR NOT NULL,       -- JSON: source, measure, dimension, filters, chart
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE dashboards (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    owner_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE dashboard_reports (
    dashboard_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (dashboard_id, report_id)
);

CREATE TABLE dashboard_access (
    dashboard_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,           -- 0 means everyone
    granted_by BIGINT,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dashboard_id, team_id)
);

CREATE TABLE summary_reports (
    user_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (user_id, report_id)
);

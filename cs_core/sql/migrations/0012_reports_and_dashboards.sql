-- Reports and dashboards (DSH-1..DSH-3, U-4).
-- Analysts: users who may create and edit reports and dashboards without managing settings.
ALTER TABLE users ADD COLUMN IF NOT EXISTS can_edit_reports BOOLEAN DEFAULT FALSE;
-- A report's width on its dashboard: a third, a half or the full row.
ALTER TABLE dashboard_reports ADD COLUMN IF NOT EXISTS width VARCHAR DEFAULT 'half';
-- The dashboards added to the workspace's Dashboards tab, in the order chosen; who sees one is
-- in dashboard_access (team 0: everyone). Removing one from here keeps the dashboard.
CREATE TABLE IF NOT EXISTS workspace_dashboards (
    dashboard_id BIGINT PRIMARY KEY,
    position BIGINT NOT NULL,
    added_by BIGINT,
    added_at TIMESTAMP NOT NULL
);

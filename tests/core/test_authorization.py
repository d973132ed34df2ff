"""Every write in cs_core checks its acting user (U-5), as U-1..U-4 say, and a refused write
changes nothing.

The writes are found in the source (:mod:`tests.core.write_discovery`), not listed by hand:
each is either in :data:`WRITES` (the rule it needs, and a small call of it on the demo
workspace as a given actor) or in :data:`SYSTEM` (it takes no acting user: the daily job,
the operator's command line, migrations, the demo, a step inside a checked write), and a
test fails for a write in neither table and for an entry that is no write any more. Reads
that take another user (a Summary viewed as someone else) are in :data:`READS`.

Each write runs as every kind of user: allowed, it succeeds and its rows land (the tables'
versions move); refused, it raises PermissionDenied and the data version stays.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from cs_core import (
    alerts,
    backup,
    daily,
    dashboards,
    db,
    feed,
    follows,
    followups,
    imports,
    merges,
    pipelines,
    preview_settings,
    record_values,
    records,
    settings,
    settings_store,
    summary,
    summary_reports,
    table_versions,
    task_actions,
    tasks,
    users,
    views,
)
from cs_core.health import overrides, profiles
from cs_core.imports import chunked
from cs_core.imports import saved as saved_mappings
from cs_core.imports.mapping import ColumnMap
from cs_core.reports import results, saved
from cs_core.users import Action, PermissionDenied, User, can
from tests.conftest import (
    ANALYST,
    CSM,
    GROWTH_CSM,
    NO_ACCESS,
    NO_SEAT,
    NOW,
    SEATLESS_ADMIN,
    SETTINGS_MANAGER,
    SUPER_ADMIN,
)
from tests.core import write_discovery

# The kinds of acting user every write is tried with (None: nobody signed in).
ACTORS = {
    "no access": NO_ACCESS,
    "CSM": CSM,
    "CSM of another team": GROWTH_CSM,
    "no seat": NO_SEAT,
    "settings manager": SETTINGS_MANAGER,
    "seatless super admin": SEATLESS_ADMIN,
    "super admin": SUPER_ADMIN,
    "analyst": ANALYST,
    "nobody": None,
}


class Workspace:
    """A copy of the demo workspace that one write function is tried on, by every actor in
    turn: each call sets up what it acts on itself, so earlier allowed calls do not matter."""

    def __init__(self, path):
        self.con = db.open_workspace(str(path))
        self.folder = path.parent
        self.count = 0

    def user(self, user_id: int) -> User:
        return users.get_user(self.con, user_id)

    def unique(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix} {self.count}"

    def sql(self, query: str, params: list | None = None):
        """A change made by the test itself before the call (outside the data version)."""
        return self.con.execute(query, params or []).fetchall()

    def admin(self) -> User:
        return self.user(SUPER_ADMIN)


@dataclass(frozen=True)
class Rule:
    """Who may: ``text`` names the features' rule; ``allows`` answers it with users.can."""

    text: str
    allows: Callable[[User, Workspace], bool]


def needs(action: Action, rule: str) -> Rule:
    return Rule(f"{rule}: {action.name}", lambda u, ws: can(u, action))


def _csm_team(ws: Workspace) -> int:
    return ws.user(CSM).team_id


SUMMARY = needs(Action.VIEW_SUMMARY, "U-2")
WORKSPACE = needs(Action.USE_WORKSPACE, "U-2")
RECORDS = needs(Action.EDIT_RECORDS, "U-2, U-5")
SETTINGS = needs(Action.MANAGE_SETTINGS, "U-4")
DEFAULT_VIEWS = needs(Action.MANAGE_DEFAULT_VIEWS, "U-4")
PROFILES = needs(Action.EDIT_HEALTH_PROFILES, "U-3")
REPORTS = needs(Action.EDIT_REPORTS, "U-4")
IMPORT = needs(Action.IMPORT_DATA, "U-4")
SHARED_VIEWS = Rule(
    "U-4: USE_WORKSPACE and SHARE_VIEWS_WITH_EVERYONE",
    lambda u, ws: can(u, Action.USE_WORKSPACE) and can(u, Action.SHARE_VIEWS_WITH_EVERYONE),
)
CSMS_SUMMARY = Rule(
    "SUM-8, U-4: one's own Summary, another's with VIEW_AS_OTHER_USER",
    lambda u, ws: (
        can(u, Action.VIEW_SUMMARY) and (u.id == CSM or can(u, Action.VIEW_AS_OTHER_USER))
    ),
)
CSMS_ALERT = Rule(
    "SUM-1: one's own alerts only", lambda u, ws: can(u, Action.VIEW_SUMMARY) and u.id == CSM
)
CSMS_TASKS = Rule(
    "ACT-4, U-3: EDIT_RECORDS on one's own and one's team's tasks (settings managers: all)",
    lambda u, ws: (
        can(u, Action.EDIT_RECORDS)
        and (u.is_settings_manager or u.id == CSM or u.team_id == _csm_team(ws))
    ),
)


@dataclass(frozen=True)
class Case:
    rule: Rule
    run: Callable  # (workspace, actor, what setup made) -> anything
    lands: tuple[str, ...]  # tables an allowed call writes
    setup: Callable | None = None  # (workspace, actor) -> what the call acts on


def _mine(actor: User | None) -> int:
    """The actor's own user id (a CSM's for nobody, who is refused anyway)."""
    return actor.id if actor is not None else CSM


def _alert_of(ws: Workspace, user_id: int) -> int:
    alert_id = 100_000 + ws.count
    ws.unique("alert")
    ws.sql("INSERT INTO alerts VALUES (?, ?, 'companies', 12, 1, 'neutral', 'at_risk', ?, ?)",
           [alert_id, user_id, NOW.replace(tzinfo=None), (NOW + timedelta(days=14)).replace(tzinfo=None)])  # fmt: skip
    return alert_id


def _view(ws: Workspace, owner: int | None, sharing: str, *, standard: bool = False) -> int:
    view_id = 100_000 + ws.count
    name = ws.unique("Test view")
    stamp = NOW.replace(tzinfo=None)
    ws.sql("INSERT INTO views (id, object, name, owner_id, sharing, is_standard, filters, columns, sort, "
           "is_default, created_at, updated_at, standard_key) VALUES (?, 'companies', ?, ?, ?, ?, '[]', '[]', "
           "'[]', FALSE, ?, ?, ?)", [view_id, name, owner, sharing, standard, stamp, stamp,
                                     f"test_{view_id}" if standard else None])  # fmt: skip
    return view_id


def _csm_task(ws: Workspace, actor, **values) -> int:
    """One of the CSM's tasks, set to ``values`` first (so the call changes it)."""
    task_id = ws.sql("SELECT min(id) FROM tasks WHERE owner_id = ?", [CSM])[0][0]
    sets = ", ".join(f"{k} = ?" for k in values)
    ws.sql(f"UPDATE tasks SET {sets} WHERE id = ?", [*values.values(), task_id])
    return task_id


def _new_csm_task(ws: Workspace, actor) -> int:
    task_id = 100_000 + ws.count
    ws.unique("task")
    ws.sql("INSERT INTO tasks (id, title, task_type, status, priority, owner_id, created_at) "
           "VALUES (?, 'Call back', 'call', 'open', 'none', ?, ?)", [task_id, CSM, NOW.replace(tzinfo=None)])  # fmt: skip
    return task_id


def _pick(task_id: int) -> task_actions.Selection:
    return task_actions.Selection(ids=(task_id,))


def _report(ws: Workspace, actor) -> int:
    definition = {**saved.get(ws.con, 4).report.as_json(), "name": ws.unique("Report")}
    return saved.save(ws.con, actor=ws.admin(), definition=definition, now=NOW).id


def _profile_definition(ws: Workspace) -> dict:
    smb = profiles.get_profile(ws.con, profile_id=2).definition
    return {**smb, "name": ws.unique("Draft profile"), "status": "draft"}


def _companies_file(ws: Workspace, actor) -> object:
    path = ws.folder / f"{ws.unique('companies').replace(' ', '_')}.csv"
    path.write_text(f"Record ID,Company name\nT{ws.count},Quayside Robotics {ws.count}\n")
    return path


def _import_args(ws: Workspace, path) -> dict:
    frame = imports.read_table(path)
    mapping = imports.suggest_mapping(ws.con, frame, object_name="companies")
    return {"frame": frame, "mapping": mapping}


def _scored_company(ws: Workspace, actor) -> int:
    return ws.sql("SELECT min(record_id) FROM health_current WHERE profile_id = 1")[0][0]


def _deal_move(ws: Workspace, actor) -> tuple[int, int]:
    """Deal 3 and a stage of its pipeline it is not in (neither needs more values)."""
    stage = ws.sql("SELECT stage_id FROM deals WHERE id = 3")[0][0]
    return 3, 1 if stage == 5 else 5


def _two_companies(ws: Workspace, actor) -> tuple[int, int]:
    first, second = ws.sql("SELECT id FROM companies ORDER BY id DESC LIMIT 2")
    return second[0], first[0]


def _on_tab(ws: Workspace, actor) -> None:
    dashboards.add_to_workspace(ws.con, actor=ws.admin(), dashboard_id=1, team_ids=(), everyone=True,
                                confirmed=True, now=NOW)  # fmt: skip


def _default_order(ws: Workspace, actor) -> list[int]:
    return [v.id for v in views.default_views(ws.con, "companies")][::-1]


def _shared_default_candidate(ws: Workspace, actor) -> int:
    ws.sql("UPDATE views SET is_default = FALSE, default_position = NULL WHERE id > 3")
    return _view(ws, SETTINGS_MANAGER, "everyone")


def _default_view(ws: Workspace, actor) -> int:
    ws.sql("UPDATE views SET is_default = TRUE, default_position = 3 WHERE id = 3")
    return 3


def _csms_summary_report(ws: Workspace, actor) -> int:
    ws.sql("DELETE FROM summary_reports WHERE user_id = ?", [CSM])
    ws.sql("INSERT INTO summary_reports VALUES (?, 1, 0)", [CSM])
    return 1


def _dashboard(ws: Workspace, actor) -> dashboards.Dashboard:
    return dashboards.get(ws.con, 1)


def _new_dashboard(ws: Workspace, actor) -> int:
    return dashboards.create(ws.con, actor=ws.admin(), name=ws.unique("Board"), now=NOW).id


C = Case
# Each public write with an acting user: the rule it needs and calls of it on the demo.
WRITES: dict[str, tuple[Case, ...]] = {
    "cs_core.backup.back_up": (
        C(SETTINGS, lambda ws, a, _: backup.back_up(ws.con, actor=a, folder=ws.folder / "backups", now=NOW,
                                                   trigger="settings"), ("backups",)),
    ),
    "cs_core.backup.save_backup_folder": (
        C(SETTINGS, lambda ws, a, _: backup.save_backup_folder(ws.con, actor=a, folder=str(ws.folder / "b"),
                                                              now=NOW), ("settings",)),
    ),
    "cs_core.alerts.dismiss": (
        C(SUMMARY, lambda ws, a, alert: alerts.dismiss(ws.con, actor=a, alert_id=alert), ("alerts",),
          lambda ws, a: _alert_of(ws, _mine(a))),
        C(CSMS_ALERT, lambda ws, a, alert: alerts.dismiss(ws.con, actor=a, alert_id=alert), ("alerts",),
          lambda ws, a: _alert_of(ws, CSM)),
    ),
    "cs_core.daily.save_schedule": (
        C(SETTINGS, lambda ws, a, _: daily.save_schedule(ws.con, actor=a, value=daily.Schedule("05:30"), now=NOW),
          ("settings",)),
    ),
    "cs_core.daily.run_now": (
        C(SETTINGS, lambda ws, a, _: daily.run_now(ws.con, actor=a, now=NOW), ("job_runs",)),
    ),
    "cs_core.dashboards.create": (
        C(REPORTS, lambda ws, a, _: dashboards.create(ws.con, actor=a, name=ws.unique("Board"), now=NOW),
          ("dashboards",)),
    ),
    "cs_core.dashboards.save": (
        C(REPORTS, lambda ws, a, d: dashboards.save(ws.con, actor=a, dashboard_id=d.id, name=d.name,
                                                  tiles=[(t.report_id, "full") for t in d.tiles],
                                                  opened_at=d.updated_at, now=NOW),
          ("dashboards", "dashboard_reports"), _dashboard),
    ),
    "cs_core.dashboards.delete": (
        C(REPORTS, lambda ws, a, d: dashboards.delete(ws.con, actor=a, dashboard_id=d), ("dashboards",),
          _new_dashboard),
    ),
    "cs_core.dashboards.add_to_workspace": (
        C(REPORTS, lambda ws, a, _: dashboards.add_to_workspace(ws.con, actor=a, dashboard_id=1, team_ids=(2,),
                                                               everyone=False, confirmed=True, now=NOW),
          ("dashboard_access",)),
    ),
    "cs_core.dashboards.remove_from_workspace": (
        C(REPORTS, lambda ws, a, _: dashboards.remove_from_workspace(ws.con, actor=a, dashboard_id=1),
          ("workspace_dashboards",), _on_tab),
    ),
    "cs_core.dashboards.move_in_workspace": (
        C(REPORTS, lambda ws, a, _: dashboards.move_in_workspace(ws.con, actor=a, dashboard_id=1, step=1),
          ("workspace_dashboards",), _on_tab),
    ),
    "cs_core.feed.remove": (
        C(WORKSPACE, lambda ws, a, _: feed.remove(ws.con, user=a, activity_id=1, now=NOW), ("feed_dismissals",)),
    ),
    "cs_core.feed.restore": (
        C(WORKSPACE, lambda ws, a, _: feed.restore(ws.con, user=a, activity_id=1), ("feed_dismissals",)),
    ),
    "cs_core.follows.set_following": (
        C(WORKSPACE, lambda ws, a, _: follows.set_following(ws.con, actor=a, object_name="companies", record_id=12,
                                                           follow=True, now=NOW), ("follows",)),
    ),
    "cs_core.followups.log": (
        C(RECORDS, lambda ws, a, _: followups.log(ws.con, actor=a, contact_id=1, kind="call", now=NOW,
                                                 subject="Check-in"), ("activities",)),
    ),
    "cs_core.followups.schedule_meeting": (
        C(RECORDS, lambda ws, a, _: followups.schedule_meeting(ws.con, actor=a, contact_id=1, title="Review",
                                                              start=NOW + timedelta(days=1), minutes=30, now=NOW),
          ("meetings",)),
    ),
    "cs_core.health.overrides.set_override": (
        C(RECORDS, lambda ws, a, r: overrides.set_override(ws.con, actor=a, profile_id=1, record_id=r, score=50,
                                                          reason="Renewal call went well",
                                                          expires_on=NOW.date() + timedelta(days=30), now=NOW),
          ("health_overrides",), _scored_company),
    ),
    "cs_core.health.overrides.remove_override": (
        C(RECORDS, lambda ws, a, r: overrides.remove_override(ws.con, actor=a, profile_id=1, record_id=r, now=NOW),
          ("health_overrides",), _scored_company),
    ),
    "cs_core.health.profiles.save_profile": (
        C(PROFILES, lambda ws, a, _: profiles.save_profile(ws.con, actor=a, definition=_profile_definition(ws),
                                                          now=NOW), ("health_profiles",)),
    ),
    "cs_core.imports.run_import": (
        C(IMPORT, lambda ws, a, p: imports.run_import(ws.con, **_import_args(ws, p), object_name="companies",
                                                     actor=a, now=NOW, file_name=p.name),
          ("import_runs", "companies"), _companies_file),
    ),
    "cs_core.imports.import_file": (
        C(IMPORT, lambda ws, a, p: imports.import_file(ws.con, p, object_name="companies", actor=a, now=NOW),
          ("import_runs", "companies"), _companies_file),
    ),
    "cs_core.imports.chunked.import_in_chunks": (
        C(IMPORT, lambda ws, a, p: chunked.import_in_chunks(
            ws.con, p, imports.read_table(p), _import_args(ws, p)["mapping"], object_name="companies", actor=a,
            now=NOW, skip_invalid=False, progress=None, file_name=p.name),
          ("import_runs", "companies"), _companies_file),
    ),
    "cs_core.imports.saved.save_mapping": (
        C(IMPORT, lambda ws, a, _: saved_mappings.save_mapping(
            ws.con, actor=a, name=ws.unique("Mapping"), object_name="companies",
            mapping=[ColumnMap("Company name", "existing", "name")], now=NOW), ("import_mappings",)),
    ),
    "cs_core.merges.merge_records": (
        C(RECORDS, lambda ws, a, pair: merges.merge_records(ws.con, actor=a, object_name="companies",
                                                           survivor_id=pair[0], merged_id=pair[1], now=NOW),
          ("companies", "record_merges"), _two_companies),
    ),
    "cs_core.pipelines.move_record": (
        C(RECORDS, lambda ws, a, move: pipelines.move_record(ws.con, actor=a, object_name="deals", record_id=move[0],
                                                            stage_id=move[1], now=NOW),
          ("deals", "property_history"), _deal_move),
    ),
    "cs_core.preview_settings.save_preview_properties": (
        C(SETTINGS, lambda ws, a, _: preview_settings.save_preview_properties(
            ws.con, actor=a, object_name="companies", properties=["name", "domain"], now=NOW), ("settings",)),
    ),
    "cs_core.record_values.update_property": (
        C(RECORDS, lambda ws, a, _: record_values.update_property(
            ws.con, actor=a, object_name="companies", record_id=12, property_name="city",
            value=ws.unique("Harbour"), now=NOW), ("companies", "property_history")),
    ),
    "cs_core.records.create_custom_object": (
        C(SETTINGS, lambda ws, a, _: records.create_custom_object(
            ws.con, actor=a, name=ws.unique("project").replace(" ", "_"), label="Project",
            label_plural="Projects", properties=[]), ("objects", "properties")),
    ),
    "cs_core.reports.results.save_time_limit": (
        C(SETTINGS, lambda ws, a, _: results.save_time_limit(ws.con, actor=a, seconds=12, now=NOW), ("settings",)),
    ),
    "cs_core.reports.saved.save": (
        C(REPORTS, lambda ws, a, _: saved.save(
            ws.con, actor=a, definition={**saved.get(ws.con, 4).report.as_json(), "name": ws.unique("Report")},
            now=NOW), ("reports",)),
    ),
    "cs_core.reports.saved.duplicate": (
        C(REPORTS, lambda ws, a, _: saved.duplicate(ws.con, actor=a, report_id=4, now=NOW), ("reports",)),
    ),
    "cs_core.reports.saved.delete": (
        C(REPORTS, lambda ws, a, r: saved.delete(ws.con, actor=a, report_id=r), ("reports",), _report),
    ),
    "cs_core.settings_store.save": (
        C(SETTINGS, lambda ws, a, _: settings_store.save(ws.con, "test.section", {"n": ws.count}, a, NOW),
          ("settings",)),
    ),
    "cs_core.settings.save_customer_settings": (
        C(SETTINGS, lambda ws, a, _: settings.save_customer_settings(
            ws.con, actor=a, value=settings.get_customer_settings(ws.con), now=NOW), ("settings",)),
    ),
    "cs_core.settings.save_service_settings": (
        C(SETTINGS, lambda ws, a, _: settings.save_service_settings(
            ws.con, actor=a, value=settings.get_service_settings(ws.con), now=NOW), ("settings",)),
    ),
    "cs_core.settings.save_revenue_settings": (
        C(SETTINGS, lambda ws, a, _: settings.save_revenue_settings(
            ws.con, actor=a, value=settings.get_revenue_settings(ws.con), now=NOW), ("settings",)),
    ),
    "cs_core.summary.choose_health_profile": (
        C(SUMMARY, lambda ws, a, _: summary.choose_health_profile(ws.con, actor=a, user_id=_mine(a), profile_id=1),
          ("summary_preferences",)),
        C(CSMS_SUMMARY, lambda ws, a, _: summary.choose_health_profile(ws.con, actor=a, user_id=CSM, profile_id=2),
          ("summary_preferences",)),
    ),
    "cs_core.summary_reports.add": (
        C(CSMS_SUMMARY, lambda ws, a, _: summary_reports.add(ws.con, actor=a, user_id=CSM, report_id=2),
          ("summary_reports",), _csms_summary_report),
    ),
    "cs_core.summary_reports.remove": (
        C(CSMS_SUMMARY, lambda ws, a, r: summary_reports.remove(ws.con, actor=a, user_id=CSM, report_id=r),
          ("summary_reports",), _csms_summary_report),
    ),
    "cs_core.task_actions.complete": (
        C(CSMS_TASKS, lambda ws, a, t: task_actions.complete(ws.con, actor=a, selection=_pick(t), now=NOW),
          ("tasks",), lambda ws, a: _csm_task(ws, a, status="open", completed_at=None)),
    ),
    "cs_core.task_actions.reopen": (
        C(CSMS_TASKS, lambda ws, a, t: task_actions.reopen(ws.con, actor=a, selection=_pick(t), now=NOW),
          ("tasks",), lambda ws, a: _csm_task(ws, a, status="completed", completed_at=NOW.replace(tzinfo=None))),
    ),
    "cs_core.task_actions.assign": (
        C(CSMS_TASKS, lambda ws, a, t: task_actions.assign(ws.con, actor=a, selection=_pick(t), owner_id=None, now=NOW),
          ("tasks",), lambda ws, a: _csm_task(ws, a, owner_id=CSM)),
    ),
    "cs_core.task_actions.set_property": (
        C(CSMS_TASKS, lambda ws, a, t: task_actions.set_property(ws.con, actor=a, selection=_pick(t),
                                                                property_name="priority", value="high", now=NOW),
          ("tasks",), lambda ws, a: _csm_task(ws, a, priority="low")),
    ),
    "cs_core.task_actions.delete": (
        C(CSMS_TASKS, lambda ws, a, t: task_actions.delete(ws.con, actor=a, selection=_pick(t), now=NOW),
          ("tasks",), _new_csm_task),
    ),
    "cs_core.tasks.create_task": (
        C(RECORDS, lambda ws, a, _: tasks.create_task(ws.con, actor=a, title="Send the renewal quote", now=NOW),
          ("tasks",)),
        C(CSMS_TASKS, lambda ws, a, _: tasks.create_task(ws.con, actor=a, title="Prepare the QBR", now=NOW,
                                                        owner_id=CSM), ("tasks",)),
    ),
    "cs_core.views.create_view": (
        C(WORKSPACE, lambda ws, a, _: views.create_view(ws.con, actor=a, object_name="companies",
                                                       name=ws.unique("Mine"), now=NOW), ("views",)),
        C(SHARED_VIEWS, lambda ws, a, _: views.create_view(ws.con, actor=a, object_name="companies",
                                                          name=ws.unique("Ours"), sharing="everyone", now=NOW),
          ("views",)),
    ),
    "cs_core.views.update_view": (
        C(WORKSPACE, lambda ws, a, v: views.update_view(ws.con, actor=a, view_id=v, name=ws.unique("Renamed"),
                                                       now=NOW), ("views",),
          lambda ws, a: _view(ws, _mine(a), "private")),
        C(SHARED_VIEWS, lambda ws, a, v: views.update_view(ws.con, actor=a, view_id=v, name=ws.unique("Renamed"),
                                                          now=NOW), ("views",),
          lambda ws, a: _view(ws, SETTINGS_MANAGER, "everyone")),
    ),
    "cs_core.views.delete_view": (
        C(WORKSPACE, lambda ws, a, v: views.delete_view(ws.con, actor=a, view_id=v, now=NOW), ("views",),
          lambda ws, a: _view(ws, _mine(a), "private")),
        C(SHARED_VIEWS, lambda ws, a, v: views.delete_view(ws.con, actor=a, view_id=v, now=NOW), ("views",),
          lambda ws, a: _view(ws, SETTINGS_MANAGER, "everyone")),
        C(SHARED_VIEWS, lambda ws, a, v: views.delete_view(ws.con, actor=a, view_id=v, now=NOW), ("views",),
          lambda ws, a: _view(ws, None, "everyone", standard=True)),
    ),
    "cs_core.views.set_default": (
        C(DEFAULT_VIEWS, lambda ws, a, v: views.set_default(ws.con, actor=a, view_id=v, description="For the team",
                                                           now=NOW), ("views",), _shared_default_candidate),
    ),
    "cs_core.views.remove_default": (
        C(DEFAULT_VIEWS, lambda ws, a, v: views.remove_default(ws.con, actor=a, view_id=v, now=NOW), ("views",),
          _default_view),
    ),
    "cs_core.views.reorder_defaults": (
        C(DEFAULT_VIEWS, lambda ws, a, order: views.reorder_defaults(ws.con, actor=a, object_name="companies",
                                                                    view_ids=order), ("views",), _default_order),
    ),
}  # fmt: skip

# Writes that may run without a user (actor None), and who runs them so.
NONE_IS_SYSTEM = {
    "cs_core.health.profiles.save_profile": "the command line (health import-profile) and the demo",
    "cs_core.imports.run_import": "the command line (import), run by whoever may write the file",
    "cs_core.imports.import_file": "the command line (import), run by whoever may write the file",
    "cs_core.imports.chunked.import_in_chunks": "import_file's large files, from the command line too",
}

STEP = "a step inside a checked write: it runs on the caller's cursor, in its transaction"
PRIMITIVE = "the write primitive every checked write goes through"
RECORDER = "the cursor cached reads run on (it notes the tables they read); no write is run on it"
IMPORTING = "a step of an import: run_import or import_in_chunks checked IMPORT_DATA first"
DAILY = (
    "the daily job, run as the system by the scheduler and the command line (users: daily.run_now)"
)
CLI = "a command the operator runs on the workspace file (opening it applies migrations)"
BACKUP = (
    "the operator's backup or restore of the workspace file (backup.OPERATOR, the command line)"
)
OPENING = "opening a workspace applies its migrations (start-up and the command line)"
DEMO = "creates the demo workspace (an empty database; first start and the command line)"
# Public writes that take no acting user, and why none is needed.
SYSTEM: dict[str, str] = {
    "cs_core.alerts.expire": STEP,
    "cs_core.changes.apply": STEP,
    "cs_core.health.engine.store": STEP,
    "cs_core.record_values.write_change": STEP,
    "cs_core.table_versions.bump": STEP,
    "cs_core.db.affected": STEP,
    "cs_core.db.allocate_ids": STEP,
    "cs_core.db.new_id": STEP,
    "cs_core.db.transaction": PRIMITIVE,
    "cs_core.db.write": PRIMITIVE,
    "cs_core.table_versions.Tracked.execute": PRIMITIVE,
    "cs_core.table_versions.Tracked.executemany": PRIMITIVE,
    "cs_core.snapshot.Reading.execute": RECORDER,
    "cs_core.imports.events.write": IMPORTING,
    "cs_core.imports.writing.write": IMPORTING,
    "cs_core.imports.writing.write_staged": IMPORTING,
    "cs_core.imports.streaming.Staging": IMPORTING,
    "cs_core.imports.streaming.Staging.append": IMPORTING,
    "cs_core.imports.streaming.Staging.drop": IMPORTING,
    "cs_core.imports.streaming.drop_leftovers": IMPORTING,
    "cs_core.daily.run_daily": DAILY,
    "cs_core.daily.Scheduler": DAILY,
    "cs_core.daily.Scheduler.check": DAILY,
    "cs_core.daily.start_scheduler": DAILY,
    "cs_core.health.engine.run": "the operator's recompute (health recompute) and the demo's history",
    "cs_core.views.ensure_standard_views": "an object's standard views, made once when anyone lists it",
    "cs_core.db.migrate": OPENING,
    "cs_core.db.open_workspace": OPENING,
    "cs_core.db.shared_workspace": OPENING,
    "cs_core.demo.create_demo_workspace": DEMO,
    "cs_core.demo.generate": DEMO,
    "cs_core.demo.health.add_profiles": DEMO,
    "cs_core.demo.reports.add": DEMO,
    "cs_core.check_cli.check_command": CLI,
    "cs_core.backup_cli.backup_command": CLI,
    "cs_core.backup_cli.restore_command": CLI,
    "cs_core.backup_service.BackupService": BACKUP,
    "cs_core.backup_service.start_service": BACKUP,
    "cs_core.restore.restore": BACKUP,
    "cs_core.cli.daily_command": CLI,
    "cs_core.cli.demo_command": CLI,
    "cs_core.cli.import_command": CLI,
    "cs_core.health.cli.backtest": CLI,
    "cs_core.health.cli.export": CLI,
    "cs_core.health.cli.export_profile": CLI,
    "cs_core.health.cli.import_profile": CLI,
    "cs_core.health.cli.recompute": CLI,
    "cs_core.health.cli.summary": CLI,
    "cs_core.reports.cli.export_command": CLI,
    "cs_core.reports.cli.list_command": CLI,
    "cs_core.reports.cli.run_command": CLI,
    "cs_core.reports.cli.save_command": CLI,
    "cs_core.retention_cli.renewals_command": CLI,
    "cs_core.retention_cli.retention_command": CLI,
    "cs_core.task_cli.buckets_command": CLI,
    "cs_core.task_cli.export_command": CLI,
}


def _changes_summary_of_csm(con, actor: User) -> list[User]:
    summary.may_change(actor, CSM)
    return [users.get_user(con, CSM)]


# Reads that take an acting user and another user: whose data they show.
READS: dict[str, tuple[Rule, Callable, str]] = {
    # name: (rule, call as the actor about the CSM, what a refusal is: "raises" or "empty")
    "cs_core.summary.subject": (
        CSMS_SUMMARY, lambda con, a: [summary.subject(con, viewer=a, user_id=CSM)], "raises"),
    "cs_core.summary.may_change": (CSMS_SUMMARY, lambda con, a: _changes_summary_of_csm(con, a), "raises"),
    "cs_core.summary.viewable": (
        Rule("SUM-8, U-4: VIEW_AS_OTHER_USER", lambda u, ws: can(u, Action.VIEW_AS_OTHER_USER)),
        lambda con, a: [u for u in summary.viewable(con, viewer=a) if u.id == CSM], "empty"),
}  # fmt: skip


# --- the tables match the code ----------------------------------------------------------


def table_problems(writes: dict[str, str], callables: dict[str, object]) -> list[str]:
    """What is wrong with the tables, given the discovered ``writes`` (name -> why)."""
    problems = []
    for name, why in sorted(writes.items()):
        if name not in WRITES and name not in SYSTEM:
            problems.append(f"{name} writes ({why}) but is in neither WRITES nor SYSTEM: give it "
                            "an acting user and a WRITES entry, make it private, or say in SYSTEM why not")  # fmt: skip
    for name in sorted({*WRITES, *SYSTEM}):
        if name not in callables:
            problems.append(f"{name} is in a table but is no public callable of cs_core any more")
        elif name not in writes:
            problems.append(f"{name} is in a table but does not write any more")
    both = sorted(set(WRITES) & set(SYSTEM))
    problems += [f"{name} is in both WRITES and SYSTEM" for name in both]
    for name, fn in sorted(callables.items()):
        params = inspect.signature(fn).parameters
        takes_other = any("user_id" in p for p in params) and ({"viewer", "actor"} & set(params))
        if name not in writes and takes_other and name not in READS:
            problems.append(f"{name} reads as another user but is not in READS")
    problems += [f"{name} is in READS but is no public callable of cs_core any more"
                 for name in sorted(READS) if name not in callables]  # fmt: skip
    return problems


@pytest.fixture(scope="module")
def discovered() -> tuple[dict[str, str], dict[str, object]]:
    callables = write_discovery.public_callables()
    return write_discovery.write_reasons(callables), callables


def test_every_write_is_in_a_table(discovered):
    writes, callables = discovered
    assert table_problems(writes, callables) == []


def test_the_check_names_a_new_write_and_an_entry_that_is_gone(monkeypatch, discovered):
    before = set(table_problems(*discovered))

    def clear_alerts(con) -> None:  # a write with no acting user
        db.write(con, lambda cur: cur.execute("DELETE FROM alerts"))

    def count_alerts(con) -> int:  # a read
        return con.execute("SELECT count(*) FROM alerts").fetchone()[0]

    def clear_via_helper(con) -> None:  # a write through another function
        clear_alerts(con)

    def alerts_of(con, *, viewer, user_id: int) -> int:  # a read as another user
        return count_alerts(con) if viewer.id == user_id else 0

    for fn in (clear_alerts, count_alerts, clear_via_helper, alerts_of):
        fn.__module__ = "cs_core.alerts"
        monkeypatch.setattr(alerts, fn.__name__, fn, raising=False)
    monkeypatch.setitem(SYSTEM, "cs_core.alerts.gone", STEP)
    monkeypatch.setitem(SYSTEM, "cs_core.alerts.count_active", STEP)
    callables = write_discovery.public_callables()
    found = set(table_problems(write_discovery.write_reasons(callables), callables)) - before
    advice = "but is in neither WRITES nor SYSTEM: give it an acting user and a WRITES entry, make it private, or say in SYSTEM why not"
    assert sorted(found) == sorted([
        f"cs_core.alerts.clear_alerts writes (runs DELETE SQL) {advice}",
        f"cs_core.alerts.clear_via_helper writes (calls cs_core.alerts.{clear_alerts.__qualname__}) {advice}",
        "cs_core.alerts.alerts_of reads as another user but is not in READS",
        "cs_core.alerts.count_active is in a table but does not write any more",
        "cs_core.alerts.gone is in a table but is no public callable of cs_core any more",
    ])  # fmt: skip


def test_the_steps_take_their_callers_cursor_and_only_imports_take_nobody(discovered):
    """A step's first parameter is the cursor of the transaction it runs in; of the writes
    with an acting user, only the imports and saving a profile accept none (the command line)."""
    _, callables = discovered
    steps = {name for name, why in SYSTEM.items() if why == STEP}
    assert {
        n: next(iter(inspect.signature(callables[n]).parameters)) for n in steps
    } == dict.fromkeys(steps, "cur")
    actors = {name: inspect.signature(callables[name]).parameters.get("actor") for name in WRITES}
    optional = {name for name, p in actors.items() if p is not None and "None" in str(p.annotation)}
    assert optional == set(NONE_IS_SYSTEM)


# --- every write, as every kind of user ------------------------------------------------


@pytest.fixture(scope="module")
def workspaces(demo_template, tmp_path_factory):
    """The workspace a write function is tried on (one copy of the demo per function)."""
    opened: dict[str, Workspace] = {}

    def get(name: str) -> Workspace:
        if name not in opened:
            for other in opened.values():
                other.con.close()
            opened.clear()
            path = tmp_path_factory.mktemp("authorization") / "workspace.duckdb"
            shutil.copy(demo_template, path)
            opened[name] = Workspace(path)
        return opened[name]

    yield get
    for ws in opened.values():
        ws.con.close()


CASES = [pytest.param(name, case, id=f"{name.removeprefix('cs_core.')}#{i}")
         for name, cases in WRITES.items() for i, case in enumerate(cases)]  # fmt: skip


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("name, case", CASES)
def test_a_write_is_done_exactly_when_the_rules_allow_it(workspaces, name, case, who):
    ws = workspaces(name)
    actor = ws.user(ACTORS[who]) if ACTORS[who] is not None else None
    made = case.setup(ws, actor) if case.setup else None
    allowed = name in NONE_IS_SYSTEM if actor is None else case.rule.allows(actor, ws)
    before, tables = db.data_version(ws.con), table_versions.versions(ws.con, case.lands)
    if allowed:
        case.run(ws, actor, made)
        after = table_versions.versions(ws.con, case.lands)
        assert db.data_version(ws.con) > before
        assert [
            t for t, b, a in zip(case.lands, tables[1:], after[1:], strict=True) if a <= b
        ] == []
    else:
        with pytest.raises(PermissionDenied):
            case.run(ws, actor, made)
        assert db.data_version(ws.con) == before, (
            f"{who} was refused {case.rule.text}, yet it wrote"
        )


@pytest.mark.parametrize("who", [w for w, uid in ACTORS.items() if uid is not None])
@pytest.mark.parametrize("name", READS)
def test_a_read_as_another_user_is_refused_unless_the_rules_allow_it(workspaces, name, who):
    rule, call, refusal = READS[name]
    ws = workspaces("reads")
    actor, before = ws.user(ACTORS[who]), db.data_version(ws.con)
    if rule.allows(actor, ws):
        assert [u.id for u in call(ws.con, actor)] == [CSM]
    elif refusal == "raises":
        with pytest.raises(PermissionDenied):
            call(ws.con, actor)
    else:
        assert call(ws.con, actor) == []
    assert db.data_version(ws.con) == before


def test_each_rule_lets_some_of_the_actors_and_refuses_others(workspaces):
    """The kinds of actor tell every rule apart: none is tried only on users it allows, or
    only on users it refuses."""
    ws = workspaces("kinds")
    actors = [ws.user(uid) for uid in ACTORS.values() if uid is not None]
    rules = {c.rule for cases in WRITES.values() for c in cases} | {r for r, _, _ in READS.values()}
    one_sided = {r.text: {r.allows(a, ws) for a in actors} for r in rules}
    assert {text: answers for text, answers in one_sided.items() if answers != {True, False}} == {}


def test_a_dismissed_alert_of_another_user_stays(demo_con, user):
    """SUM-1: a Summary viewed as another user shows their alerts; it does not dismiss them."""
    theirs = demo_con.execute("SELECT min(id) FROM alerts WHERE user_id = ?", [CSM]).fetchone()[0]
    with pytest.raises(PermissionDenied, match="only their own alerts"):
        alerts.dismiss(demo_con, actor=user(SUPER_ADMIN), alert_id=theirs)
    assert demo_con.execute("SELECT count(*) FROM alerts WHERE id = ?", [theirs]).fetchone()[0] == 1
    assert alerts.dismiss(demo_con, actor=user(CSM), alert_id=theirs) is True
    assert alerts.dismiss(demo_con, actor=user(CSM), alert_id=theirs) is False  # gone already

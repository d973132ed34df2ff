"""The workspace's consistency check: every reference between rows points at a row that exists.

Each rule is a query giving the rows that break it (their id and a short text naming what
they point at); :func:`check_workspace` runs them all in one query and reports, per broken
rule, how many rows break it and the first few. What the rules hold to follows the schema and the writes:

- records are never deleted but by a merge, which moves what pointed at the merged record
  (associations, tasks, meetings, activities, alerts, follows, history, external ids) to the
  survivor and deletes its scores and overrides: so nothing may point at a missing record;
- a deleted task leaves a history row (property ``deleted``), so the history of a task that
  is gone is consistent when that row is there;
- associations are stored in both directions;
- each (profile, record) has at most one current health score, equal to the history row of
  its date, with no later history row; its override copy is the pair's latest active override;
- ids come from the ``ids.<table>`` counters, which are never behind the table's largest id.

The check only reads. ``python -m cs_core check --db PATH`` prints one line per broken rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from cs_core.sql import ident, literal

EXAMPLES = 5  # rows named per broken rule


@dataclass(frozen=True)
class Rule:
    kind: str
    what: str  # what the rows that break it are, for a person
    sql: str  # (k BIGINT, example VARCHAR): the rows that break it, ``records`` in scope


@dataclass(frozen=True)
class Problem:
    kind: str
    what: str
    count: int
    examples: tuple[str, ...]

    def line(self) -> str:
        more = ", ..." if self.count > len(self.examples) else ""
        return f"{self.kind}: {self.count:,} {self.what} (e.g. {'; '.join(self.examples)}{more})"


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[Problem, ...]
    rules: int
    seconds: float

    @property
    def consistent(self) -> bool:
        return not self.problems

    def kinds(self) -> dict[str, int]:
        """Broken rule -> how many rows break it."""
        return {p.kind: p.count for p in self.problems}


def _missing(alias: str, column: str, target: str = "users") -> str:
    """A condition: ``alias.column`` is set and names no row of ``target`` (by id)."""
    return (f"({alias}.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {target} x WHERE x.id = {alias}.{column}))")  # fmt: skip


def _no_record(alias: str, obj: str = "object", rid: str = "record_id") -> str:
    """A condition: the pair (``alias.obj``, ``alias.rid``) names no record (``obj`` may be
    another table's column, ``p.object``)."""
    obj = obj if "." in obj else f"{alias}.{obj}"
    return (f"NOT EXISTS (SELECT 1 FROM records x WHERE x.object = {obj} "
            f"AND x.id = {alias}.{rid})")  # fmt: skip


def _pair_rules() -> list[Rule]:
    """Rows that name a record (an object and an id) or a user."""
    ref = "a.object || ' ' || a.record_id"
    rules = [
        Rule("association_missing_record", "associations with a record at either end missing",
             "SELECT a.from_id, a.from_object || ' ' || a.from_id || ' -> ' || a.to_object || ' ' || a.to_id "
             f"FROM associations a WHERE {_no_record('a', 'from_object', 'from_id')} "
             f"OR {_no_record('a', 'to_object', 'to_id')}"),
        Rule("association_one_way", "associations stored in one direction only",
             "SELECT a.from_id, a.from_object || ' ' || a.from_id || ' -> ' || a.to_object || ' ' || a.to_id "
             "FROM associations a WHERE NOT EXISTS (SELECT 1 FROM associations b WHERE b.from_object = "
             "a.to_object AND b.from_id = a.to_id AND b.to_object = a.from_object AND b.to_id = a.from_id)"),
        Rule("history_missing_record", "property history rows of records that do not exist",
             f"SELECT a.id, 'history ' || a.id || ': ' || {ref} FROM property_history a "
             f"WHERE IF(a.object = 'tasks', {_missing('a', 'record_id', 'tasks')} AND NOT EXISTS "
             "(SELECT 1 FROM property_history d WHERE d.object = 'tasks' AND d.record_id = a.record_id "
             f"AND d.property = 'deleted'), {_no_record('a')})"),
        Rule("history_missing_user", "property history rows changed by a user who does not exist",
             f"SELECT a.id, 'history ' || a.id || ': user ' || a.changed_by FROM property_history a "
             f"WHERE {_missing('a', 'changed_by')}"),
    ]  # fmt: skip
    for table, noun, users in (("tasks", "task", ("owner_id", "created_by")), ("meetings", "meeting", ("owner_id",)),
                               ("alerts", "alert", ("user_id",)), ("follows", "follow", ("user_id",))):  # fmt: skip
        key = "a.id" if table != "follows" else "a.user_id"
        rules.append(Rule(f"{noun}_missing_record", f"{table} of records that do not exist",
                          f"SELECT {key}, '{noun} ' || {key} || ': ' || coalesce({ref}, 'no record') FROM {table} a "
                          f"WHERE (a.object IS NOT NULL OR a.record_id IS NOT NULL) AND {_no_record('a')}"))  # fmt: skip
        rules.append(Rule(f"{noun}_missing_user", f"{table} whose user does not exist", " UNION ALL ".join(
            f"SELECT {key}, '{noun} ' || {key} || ': {column} ' || a.{column} FROM {table} a "
            f"WHERE {_missing('a', column)}" for column in users)))  # fmt: skip
    return rules


def _activity_rules() -> list[Rule]:
    return [
        Rule("activity_missing_record", "activities of a record that does not exist",
             "SELECT a.id, 'activity ' || a.id || ': ' || coalesce(a.object || ' ' || a.record_id, 'no record') "
             f"FROM activities a WHERE (a.object IS NOT NULL OR a.record_id IS NOT NULL) AND {_no_record('a')}"),
        Rule("activity_missing_contact", "activities of a contact that does not exist",
             "SELECT a.id, 'activity ' || a.id || ': contact ' || a.contact_id FROM activities a "
             f"WHERE {_missing('a', 'contact_id', 'contacts')}"),
        Rule("activity_missing_company", "activities of a company that does not exist",
             "SELECT a.id, 'activity ' || a.id || ': company ' || a.company_id FROM activities a "
             f"WHERE {_missing('a', 'company_id', 'companies')}"),
        Rule("activity_missing_user", "activities logged by a user who does not exist",
             f"SELECT a.id, 'activity ' || a.id || ': user ' || a.user_id FROM activities a "
             f"WHERE {_missing('a', 'user_id')}"),
        Rule("activity_missing_sequence", "activities of a sequence that does not exist",
             f"SELECT a.id, 'activity ' || a.id || ': sequence ' || a.sequence_id FROM activities a "
             f"WHERE {_missing('a', 'sequence_id', 'sequences')}"),
        Rule("enrollment_orphan", "sequence enrollments of a sequence, contact or user that does not exist",
             "SELECT a.id, 'enrollment ' || a.id FROM sequence_enrollments a WHERE "
             f"{_missing('a', 'sequence_id', 'sequences')} OR {_missing('a', 'contact_id', 'contacts')} "
             f"OR {_missing('a', 'enrolled_by')}"),
        Rule("feed_dismissal_orphan", "feed dismissals of an activity or user that does not exist",
             "SELECT a.activity_id, 'user ' || a.user_id || ', activity ' || a.activity_id FROM feed_dismissals a "
             f"WHERE {_missing('a', 'activity_id', 'activities')} OR {_missing('a', 'user_id')}"),
    ]  # fmt: skip


def _scores(table: str, noun: str) -> str:
    return (f"SELECT a.record_id, '{noun} ' || a.profile_id || '/' || a.record_id || ' of ' || a.score_date "
            f"FROM {table} a LEFT JOIN health_profiles p ON p.id = a.profile_id")  # fmt: skip


def _health_rules() -> list[Rule]:
    pair = "h.profile_id = a.profile_id AND h.record_id = a.record_id"
    rules = []
    for table, noun in (("health_scores", "score"), ("health_current", "current score")):
        rules += [
            Rule(f"{table}_orphan", f"{table} rows of a profile or record that does not exist",
                 f"{_scores(table, noun)} WHERE p.id IS NULL OR {_no_record('a', 'p.object', 'record_id')}"),
            Rule(f"{table}_duplicate", f"(profile, record{', date' if table == 'health_scores' else ''}) "
                 f"with more than one {table} row",
                 f"SELECT min(a.record_id), '{noun} ' || a.profile_id || '/' || a.record_id || ' x' || count(*) "
                 f"FROM {table} a GROUP BY a.profile_id, a.record_id"
                 f"{', a.score_date' if table == 'health_scores' else ''} HAVING count(*) > 1"),
        ]  # fmt: skip
    return rules + [
        Rule("health_scores_unknown_version", "health scores of a profile version that was never saved",
             f"{_scores('health_scores', 'score')} WHERE p.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
             "health_profile_versions v WHERE v.profile_id = a.profile_id AND v.version = a.profile_version)"),
        Rule("health_profile_unknown_version", "health profiles whose version was never saved",
             "SELECT p.id, 'profile ' || p.id || ' version ' || p.version FROM health_profiles p WHERE NOT EXISTS "
             "(SELECT 1 FROM health_profile_versions v WHERE v.profile_id = p.id AND v.version = p.version)"),
        Rule("health_current_not_in_history", "current health scores unlike the history row of their date",
             f"{_scores('health_current', 'current score')} WHERE NOT EXISTS (SELECT 1 FROM health_scores h "
             f"WHERE {pair} AND h.score_date = a.score_date AND h.score = a.score AND h.category = a.category)"),
        Rule("health_current_not_latest", "current health scores older than their latest history row",
             f"{_scores('health_current', 'current score')} WHERE EXISTS (SELECT 1 FROM health_scores h "
             f"WHERE {pair} AND h.score_date > a.score_date)"),
        Rule("health_current_override_stale", "current health scores whose override copy is not the active override",
             f"{_scores('health_current', 'current score')} LEFT JOIN (SELECT profile_id, record_id, "
             "arg_max(score, created_at) AS score, arg_max(expires_on, created_at) AS expires_on FROM health_overrides "
             "WHERE removed_at IS NULL GROUP BY ALL) o ON o.profile_id = a.profile_id AND o.record_id = a.record_id "
             "WHERE a.override_score IS DISTINCT FROM o.score OR a.override_until IS DISTINCT FROM o.expires_on"),
        Rule("health_override_orphan", "health overrides of a profile or record that does not exist",
             "SELECT a.id, 'override ' || a.id FROM health_overrides a LEFT JOIN health_profiles p ON "
             f"p.id = a.profile_id WHERE p.id IS NULL OR {_no_record('a', 'p.object', 'record_id')}"),
        Rule("health_override_duplicate", "(profile, record) with more than one active override",
             "SELECT min(a.id), 'overrides of ' || a.profile_id || '/' || a.record_id FROM health_overrides a "
             "WHERE a.removed_at IS NULL GROUP BY a.profile_id, a.record_id HAVING count(*) > 1"),
        Rule("alert_missing_profile", "alerts of a health profile that does not exist",
             "SELECT a.id, 'alert ' || a.id || ': profile ' || a.profile_id FROM alerts a "
             f"WHERE {_missing('a', 'profile_id', 'health_profiles')}"),
    ]  # fmt: skip


def _saved_rules() -> list[Rule]:
    """Views, reports, dashboards and the tabs that list them."""
    rules = [
        Rule("dashboard_tile_orphan", "dashboard tiles of a report or dashboard that does not exist",
             "SELECT a.dashboard_id, 'dashboard ' || a.dashboard_id || ', report ' || a.report_id "
             f"FROM dashboard_reports a WHERE {_missing('a', 'report_id', 'reports')} "
             f"OR {_missing('a', 'dashboard_id', 'dashboards')}"),
        Rule("dashboard_access_orphan", "dashboard access rows of a dashboard or team that does not exist",
             "SELECT a.dashboard_id, 'dashboard ' || a.dashboard_id || ', team ' || a.team_id FROM dashboard_access a "
             f"WHERE {_missing('a', 'dashboard_id', 'dashboards')} "
             f"OR (a.team_id <> 0 AND {_missing('a', 'team_id', 'teams')})"),
        Rule("workspace_dashboard_orphan", "dashboards on the Dashboards tab that do not exist",
             "SELECT a.dashboard_id, 'dashboard ' || a.dashboard_id FROM workspace_dashboards a "
             f"WHERE {_missing('a', 'dashboard_id', 'dashboards')}"),
        Rule("summary_report_orphan", "Summary reports of a report or user that does not exist",
             "SELECT a.report_id, 'user ' || a.user_id || ', report ' || a.report_id FROM summary_reports a "
             f"WHERE {_missing('a', 'report_id', 'reports')} OR {_missing('a', 'user_id')}"),
        Rule("view_unknown_object", "views of an object that does not exist",
             "SELECT a.id, 'view ' || a.id || ': ' || a.object FROM views a WHERE a.object <> 'tasks' "
             "AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.name = a.object)"),
    ]  # fmt: skip
    for table in ("views", "reports", "dashboards", "sequences"):
        noun = table[:-1]
        rules.append(Rule(f"{noun}_missing_owner", f"{table} whose owner does not exist",
                          f"SELECT a.id, '{noun} ' || a.id || ': user ' || a.owner_id FROM {table} a "
                          f"WHERE {_missing('a', 'owner_id')}"))  # fmt: skip
    return rules


def _workspace_rules() -> list[Rule]:
    return [
        Rule("external_id_missing_record", "imported external ids of records that do not exist",
             "SELECT a.record_id, a.object || ' ' || a.record_id || ' (' || a.external_id || ')' "
             f"FROM record_external_ids a WHERE {_no_record('a')}"),
        Rule("import_record_missing_run", "imported-record rows of an import run that does not exist",
             "SELECT a.run_id, 'run ' || a.run_id || ': ' || a.object || ' ' || a.record_id "
             f"FROM import_run_records a WHERE {_missing('a', 'run_id', 'import_runs')}"),
        Rule("merged_record_exists", "merges whose merged record still exists",
             "SELECT a.id, 'merge ' || a.id || ': ' || a.object || ' ' || a.merged_id FROM record_merges a "
             f"WHERE NOT {_no_record('a', 'object', 'merged_id')}"),
        Rule("stage_missing_pipeline", "stages of a pipeline that does not exist",
             f"SELECT a.id, 'stage ' || a.id || ': pipeline ' || a.pipeline_id FROM stages a "
             f"WHERE {_missing('a', 'pipeline_id', 'pipelines')}"),
        Rule("user_missing_team", "users of a team that does not exist",
             f"SELECT a.id, 'user ' || a.id || ': team ' || a.team_id FROM users a "
             f"WHERE {_missing('a', 'team_id', 'teams')}"),
    ]  # fmt: skip


def _catalog(con: duckdb.DuckDBPyConnection) -> tuple[str, list[Rule]]:
    """The ``records`` query (object, id of every record) and the rules on record columns: user,
    pipeline and stage properties of the catalog, and ``company_id``."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    objects = [
        r[0]
        for r in con.execute("SELECT name FROM objects ORDER BY position, name").fetchall()
        if r[0] in tables
    ]
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    kinds = con.execute("SELECT object, name, type FROM properties WHERE type IN ('user', 'pipeline', 'stage') "
                        "ORDER BY object, position").fetchall()  # fmt: skip
    records = " UNION ALL ".join(
        f"SELECT {literal(o)} AS object, id FROM {ident(o)}" for o in objects
    )
    parts: dict[str, list[str]] = {"user": [], "pipeline": [], "stage": [], "company": []}

    def part(kind: str, obj: str, column: str, condition: str) -> None:
        parts[kind].append(f"SELECT a.id, {literal(obj + ' ')} || a.id || {literal(': ' + column + ' ')} || "
                           f"a.{ident(column)} FROM {ident(obj)} a WHERE {condition}")  # fmt: skip

    for obj, name, kind in kinds:
        if obj not in objects or name not in columns.get(obj, ()):
            continue
        column = f"a.{ident(name)}"
        if kind == "user":
            part("user", obj, name, _missing("a", ident(name)))
        elif kind == "pipeline":
            part("pipeline", obj, name, f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pipelines x "
                                        f"WHERE x.id = {column} AND x.object = {literal(obj)})")  # fmt: skip
        elif "pipeline_id" in columns[obj]:
            part("stage", obj, name, f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stages x "
                                     f"WHERE x.id = {column} AND x.pipeline_id IS NOT DISTINCT FROM a.pipeline_id)")  # fmt: skip
    for obj in objects:
        if obj != "companies" and "company_id" in columns.get(obj, ()):
            part("company", obj, "company_id", _missing("a", "company_id", "companies"))
    whats = {"user": "records whose user property names no user",
             "pipeline": "records in a pipeline that does not exist (or is another object's)",
             "stage": "records in a stage that does not exist or is not of their pipeline",
             "company": "records of a company that does not exist"}  # fmt: skip
    rules = [
        Rule(f"record_missing_{k}", whats[k], " UNION ALL ".join(v)) for k, v in parts.items() if v
    ]
    counters = [
        (r[0], r[0][4:])
        for r in con.execute("SELECT name FROM counters WHERE starts_with(name, 'ids.')").fetchall()
    ]
    behind = [f"SELECT c.value, {literal(t)} || ': counter ' || c.value || ', largest id ' || m.top FROM counters c, "
              f"(SELECT max(id) AS top FROM {ident(t)}) m WHERE c.name = {literal(name)} AND m.top > c.value"
              for name, t in counters if "id" in columns.get(t, ())]  # fmt: skip
    if behind:
        rules.append(Rule("id_counter_behind", "id counters behind their table's largest id (new ids would clash)",
                          " UNION ALL ".join(behind)))  # fmt: skip
    return records or "SELECT NULL::VARCHAR AS object, NULL::BIGINT AS id WHERE FALSE", rules


def rules(con: duckdb.DuckDBPyConnection) -> tuple[str, list[Rule]]:
    """The ``records`` query and every rule, for this workspace's objects and catalog."""
    records, catalog_rules = _catalog(con)
    return records, [*_pair_rules(), *_activity_rules(), *catalog_rules, *_health_rules(),
                     *_saved_rules(), *_workspace_rules()]  # fmt: skip


def check_workspace(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Run every rule on ``con`` (a connection, or a session's cursor: it sees that cursor's open
    transaction); the result lists the broken rules (none: the workspace is consistent)."""
    started = time.perf_counter()
    records, found = rules(con)
    broken = " UNION ALL ".join(f"SELECT {n} AS rule, k, example FROM ({r.sql}) p{n}(k, example)"
                                for n, r in enumerate(found))  # fmt: skip
    rows = con.execute(
        f"WITH records AS ({records}) SELECT rule, count(*), list(example ORDER BY k, example)[1:{EXAMPLES}] "
        f"FROM ({broken}) GROUP BY rule ORDER BY rule"
    ).fetchall()  # fmt: skip
    problems = tuple(
        Problem(found[n].kind, found[n].what, count, tuple(examples)) for n, count, examples in rows
    )
    return CheckResult(problems, len(found), time.perf_counter() - started)

"""Scoring: a profile compiled to one DuckDB query, stored as dated history, with alerts (HS-1..HS-6).

The rules are those of spec/health-profiles.md, to the point: conditions by the
filter builder (so an empty value fails every operator but is_unknown), group
points clamped to [0, max], both missing-data modes, rounding half up with
integer arithmetic, and categories at the thresholds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from cs_core import activities, clock, db, filters, table_versions
from cs_core.health.profiles import Profile
from cs_core.records import list_properties
from cs_core.settings import get_customer_settings
from cs_core.sql import col, ident

ALERT_DAYS = 14
_OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class ProfileUnusable(ValueError):
    """A stored profile that cannot be scored (a rule out of range, a property gone); raised
    before anything is written, so a caller may skip it and score the others."""


@dataclass(frozen=True)
class RunResult:
    profile_id: int
    score_date: date
    scored: int
    alerts: int


def owner_property(con: duckdb.DuckDBPyConnection, object_name: str) -> str | None:
    """The owner property (``$owner`` in a profile) when the object is the account object."""
    settings = get_customer_settings(con)
    return settings.owner_property if settings.object == object_name else None


def _engagement_value(rule: dict, i: int, day: date) -> tuple[str, list]:
    if rule["measure"] == "count":
        return f"coalesce(e.e{i}, 0)", []
    return f"date_diff('day', CAST(e.e{i} AS DATE), ?::DATE)", [day]


def _compare(expr: str, op: str, value) -> tuple[str, list]:
    if op == "is_known":
        return f"({expr}) IS NOT NULL", []
    if op == "is_unknown":
        return f"({expr}) IS NULL", []
    if op == "between":
        return f"coalesce(({expr}) BETWEEN ? AND ?, FALSE)", [value[0], value[1]]
    return f"coalesce(({expr}) {_OPS[op]} ?, FALSE)", [value]


_LOOK_UP = object()


def score_query(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date,
                record_id: int | None = None, owner=_LOOK_UP) -> tuple[str, list]:  # fmt: skip
    """SQL (and its parameters, in order) giving, per scored record: id, score, category,
    group points g0.., included flags i0.., rule matches r0_0.. (group, rule)."""
    d = profile.definition
    obj = profile.object
    props = {p.name: p for p in list_properties(con, obj)}
    if owner is _LOOK_UP:  # (a caller that knows it already passes it)
        owner = owner_property(con, obj)
    params: list = []
    base_filter = filters.compile_filter([d["record_filter"]] if d.get("record_filter") else [], props,
                                         today=score_date, owner=owner, alias="r")  # fmt: skip
    end = clock.end_of_score_date(score_date)
    # Records created after the score date did not exist yet: they have no score that day.
    base = (f"SELECT r.* FROM {ident(obj)} r WHERE {base_filter.sql} "
            "AND (r.created_at IS NULL OR r.created_at < ?)")  # fmt: skip
    params += [*base_filter.params, end]
    if record_id is not None:
        base += " AND r.id = ?"
        params.append(record_id)
    aggs, agg_params = [], []
    rules_sql, rule_params = [], []
    group_sql, group_params, included_sql, included_params = [], [], [], []
    n = 0
    for gi, g in enumerate(d["groups"]):
        terms = []
        if g["kind"] == "engagement":
            all_types = sorted({t for r in g["rules"] for t in r["activity_types"]})
            # Whether the record has any activity of the group's types by the end of the score date.
            aggs.append(f"count(*) FILTER (WHERE list_contains(?, a.activity_type) AND a.occurred_at <= ?) > 0 "
                        f"AS any{gi}")  # fmt: skip
            agg_params += [all_types, end]
            included_sql.append(f"coalesce(e.any{gi}, FALSE) AS i{gi}")
        else:
            read = sorted({c["property"] for r in g["rules"] for c in r["when"]})
            known = [f"{filters.known_sql(props[p], 'b')}" for p in read if p in props]
            included_sql.append(f"({' OR '.join(known) or 'FALSE'}) AS i{gi}")
        for ri, rule in enumerate(g["rules"]):
            if g["kind"] == "property":
                c = filters.compile_filter(
                    [rule["when"]], props, today=score_date, owner=owner, alias="b"
                )
                expr, eparams = f"coalesce({c.sql}, FALSE)", c.params
            else:
                if rule["measure"] == "count":
                    since = end - timedelta(days=rule["window_days"])
                    aggs.append(f"count(*) FILTER (WHERE list_contains(?, a.activity_type) AND a.occurred_at > ? "
                                f"AND a.occurred_at <= ?) AS e{n}")  # fmt: skip
                    agg_params += [rule["activity_types"], since, end]
                else:
                    aggs.append(f"max(a.occurred_at) FILTER (WHERE list_contains(?, a.activity_type) "
                                f"AND a.occurred_at <= ?) AS e{n}")  # fmt: skip
                    agg_params += [rule["activity_types"], end]
                value, vparams = _engagement_value(rule, n, score_date)
                expr, cparams = _compare(value, rule["operator"], rule.get("value"))
                eparams = vparams + cparams
            rules_sql.append(f"{expr} AS r{gi}_{ri}")
            rule_params += eparams
            terms.append(f"CASE WHEN r{gi}_{ri} THEN {int(rule['points'])} ELSE 0 END")
            n += 1
        group_sql.append(
            f"least(greatest({' + '.join(terms)}, 0), {int(g['max_points'])}) AS g{gi}"
        )
    all_types = sorted({t for g in d["groups"] if g["kind"] == "engagement" for r in g["rules"]
                        for t in r["activity_types"]})  # fmt: skip
    if record_id is None:  # every record's activities of the types the rules read
        # (A join with the scored records: about a fifth faster than "IN (SELECT id FROM base)".)
        linked, linked_params = activities.linked(obj)
        eng = (f"SELECT a.rid, {', '.join(aggs)} FROM ({linked}) a JOIN base x ON x.id = a.rid "
               "WHERE list_contains(?, a.activity_type) AND a.occurred_at <= ? GROUP BY 1"
               ) if aggs else "SELECT NULL::BIGINT AS rid WHERE FALSE"  # fmt: skip
        eng_params = [*agg_params, *linked_params, all_types, end] if aggs else []
        joined = "base b LEFT JOIN e ON e.rid = b.id"
    else:  # one record: one row of aggregates, its activities read through the account index
        # (every aggregate is bounded by the end of the score date itself: another filter here
        # would turn the index scan back into a full scan)
        own, own_params = activities.of_record(obj, record_id)
        eng = (f"SELECT {', '.join(aggs)} FROM activities a WHERE {own}"
               if aggs else "SELECT NULL AS none")  # fmt: skip
        eng_params = [*agg_params, *own_params] if aggs else []
        joined = "base b, e"
    maxes = [int(g["max_points"]) for g in d["groups"]]
    k = range(len(maxes))
    # Rounded half up in integers: (200 * got + out_of) // (2 * out_of) = round(100 * got / out_of).
    if d["missing_data"] == "redistribute":  # out of the maxima of the groups with data, if any
        got = " + ".join(f"CASE WHEN i{i} THEN g{i} ELSE 0 END" for i in k)
        out_of = " + ".join(f"CASE WHEN i{i} THEN {maxes[i]} ELSE 0 END" for i in k)
        score = f"CASE WHEN ({out_of}) = 0 THEN NULL ELSE (200 * ({got}) + ({out_of})) // (2 * ({out_of})) END"
        scored = "WHERE score IS NOT NULL"
    else:  # out of 100: the simpler expression plans faster, which one-record runs feel
        score, scored = f"(200 * ({' + '.join(f'g{i}' for i in k)}) + 100) // 200", ""
    sql = f"""
    WITH base AS ({base}),
    e AS ({eng}),
    m AS (SELECT b.id, {", ".join(rules_sql)}, {", ".join(included_sql)}
          FROM {joined}),
    g AS (SELECT *, {", ".join(group_sql)} FROM m),
    s AS (SELECT *, {score} AS score FROM g)
    SELECT *, CASE WHEN score <= ? THEN 'at_risk' WHEN score >= ? THEN 'successful' ELSE 'neutral' END AS category
    FROM s {scored}
    """
    return sql, [*params, *eng_params, *rule_params, *included_params, *group_params,
                 profile.at_risk_max, profile.successful_min]  # fmt: skip


def compute(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date,
            record_id: int | None = None) -> pd.DataFrame:  # fmt: skip
    """Scores without storing them (for drafts, "test a record" and previews)."""
    sql, params = score_query(con, profile, score_date=score_date, record_id=record_id)
    return con.execute(sql + " ORDER BY id", params).df()


def _columns(profile: Profile) -> tuple[list[str], list[str], list[str]]:
    """The score query's columns of group points, included flags and rule matches."""
    groups = profile.definition["groups"]
    rules = [f"r{gi}_{ri}" for gi, g in enumerate(groups) for ri in range(len(g["rules"]))]
    return [f"g{i}" for i in range(len(groups))], [f"i{i}" for i in range(len(groups))], rules


def _details(profile: Profile) -> str:
    """SQL for the stored explanation: JSON of group points, included groups and rule matches."""
    groups, included, rules = (", ".join(c) for c in _columns(profile))
    return f"to_json({{'groups': [{groups}], 'included': [{included}], 'rules': [{rules}]}})"


def _details_of(profile: Profile, row: dict) -> str:
    """The same JSON, made from one scored row in Python (tested to be the same text)."""
    groups, included, rules = _columns(profile)
    return json.dumps({"groups": [row[c] for c in groups], "included": [row[c] for c in included],
                       "rules": [row[c] for c in rules]}, separators=(",", ":"))  # fmt: skip


_STORED = (
    "profile_id, record_id, score_date, profile_version, score, category, details, computed_at"
)
_UPDATED = "profile_version = ?, score = ?, category = ?, details = ?, computed_at = ?"
# What rescoring one record writes: rows of the record, or of its owner (an alert).
_SCORED = ("health_scores", "health_current", "alerts")


def _affected(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return cur.execute(sql, params).fetchone()[0]


def run(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date, now: datetime,
        record_id: int | None = None) -> RunResult:  # fmt: skip
    """Score and store in a transaction of its own (see :func:`store`) with ``profile`` as given.

    A caller that may hold an older copy while others publish (the daily job) reads the
    profile inside the transaction instead (:func:`cs_core.daily.run_daily`).
    """
    return db.write(con, store, profile, score_date=score_date, now=now, record_id=record_id)


def store(cur: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date, now: datetime,
          record_id: int | None = None) -> RunResult:  # fmt: skip
    """Score and store, inside the caller's write transaction: the dated history row
    (replacing that date's) and the current score, then raise alerts for category changes.

    A run dated before a record's current score (a backfill) writes history only: the current
    score stays, and no alert is raised, as alerts tell what changed now.
    """
    now = clock.utc_naive(now)
    owner = owner_property(cur, profile.object)
    try:
        sql, params = score_query(
            cur, profile, score_date=score_date, record_id=record_id, owner=owner
        )
    except (filters.FilterError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ProfileUnusable(f"The profile {profile.name!r} cannot be scored: {exc}") from exc
    live = profile.definition["status"] == "live" and owner is not None

    def _store_one(cur) -> RunResult:
        # One record, while the user waits after an edit: the record's owner, its current
        # score and its new score come from one statement, and are written as values.
        owner_sql = col("r", owner) if owner else "NULL"
        result = cur.execute(
            f"SELECT {owner_sql} AS _owner, c.score_date AS _current_date, c.category AS _before, "
            f"(c.override_score IS NOT NULL AND c.override_until >= ?) AS _overridden, s.* "
            f"FROM {ident(profile.object)} r LEFT JOIN health_current c ON c.profile_id = ? AND c.record_id = r.id "
            f"LEFT JOIN ({sql}) s ON s.id = r.id WHERE r.id = ?",
            [score_date, profile.id, *params, record_id],
        )  # fmt: skip
        names = [d[0] for d in result.description]
        found = dict(zip(names, result.fetchone() or (None,) * len(names), strict=True))
        user_id, current_date, before = found["_owner"], found["_current_date"], found["_before"]
        # The account object's rows are its owner's: the writes say so (a CSM's Summary health
        # figures are kept through another CSM's rescored account, cs_core.table_versions).
        with table_versions.owned_rows(cur, _SCORED, [user_id] if owner else None):
            row = None  # as stored, or None: the profile does not score the record
            if found["score"] is not None:
                row = (profile.id, record_id, score_date, profile.version, found["score"], found["category"],
                       _details_of(profile, found), now)  # fmt: skip
            # version, score, category, details, time
            values = list(row[3:]) if row is not None else []
            where = [profile.id, score_date, record_id]
            # The history row of the date, replaced. (A current score dated earlier means there is none.)
            replaced = row is not None and current_date == score_date and _affected(
                cur, f"UPDATE health_scores SET {_UPDATED} WHERE profile_id = ? AND score_date = ? AND record_id = ?",
                [*values, *where])  # fmt: skip
            if not replaced and (current_date is None or current_date >= score_date):
                cur.execute(
                    "DELETE FROM health_scores WHERE profile_id = ? AND score_date = ? AND record_id = ?",
                    where,
                )
            if not replaced and row is not None:
                cur.execute(
                    f"INSERT INTO health_scores ({_STORED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row
                )
            if current_date is not None and current_date > score_date:  # a backfill
                return RunResult(profile.id, score_date, int(row is not None), 0)
            # The current score: replaced, added, or removed when the profile no longer scores the record.
            if row is None and current_date is not None:
                cur.execute(
                    "DELETE FROM health_current WHERE profile_id = ? AND record_id = ?",
                    [profile.id, record_id],
                )
            elif row is not None:
                replaced = current_date is not None and _affected(
                    cur, "UPDATE health_current SET score_date = ?, score = ?, category = ? WHERE profile_id = ? "
                    "AND record_id = ?", [score_date, row[4], row[5], profile.id, record_id])  # fmt: skip
                if not replaced:
                    cur.execute(
                        "INSERT INTO health_current SELECT ?, ?, ?, ?, ?, o.score, o.expires_on "
                        "FROM (SELECT 1) LEFT JOIN health_overrides o ON o.profile_id = ? AND o.record_id = ? "
                        "AND o.removed_at IS NULL",
                        [*row[:3], *row[4:6], profile.id, record_id],
                    )
            # An override in effect keeps its category: a computed change is no change for the user.
            if (row is None or before is None or row[5] == before or not live or user_id is None
                    or found["_overridden"]):  # fmt: skip
                return RunResult(profile.id, score_date, int(row is not None), 0)
            cur.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [db.new_id(cur, "alerts"), user_id, profile.object, record_id, profile.id, before, row[5],
                         now, now + timedelta(days=ALERT_DAYS)])  # fmt: skip
            return RunResult(profile.id, score_date, 1, 1)

    def _store(cur) -> RunResult:
        day = [profile.id, score_date]
        cur.execute("DELETE FROM health_scores WHERE profile_id = ? AND score_date = ?", day)
        scored = cur.execute(
            f"INSERT INTO health_scores ({_STORED}) SELECT ?, id, ?, ?, score, category, {_details(profile)}, ? "
            f"FROM ({sql})", [profile.id, score_date, profile.version, now, *params]).fetchone()[0]  # fmt: skip
        # A record's current score is its latest: one scored later (an edit's rescore after the
        # last full run) keeps it, and a run dated before every current score is a backfill.
        latest, older = cur.execute("SELECT max(score_date), count(*) FILTER (WHERE score_date <= ?) "
                                    "FROM health_current WHERE profile_id = ?", [score_date, profile.id]).fetchone()  # fmt: skip
        if latest is not None and latest > score_date and not older:
            return RunResult(profile.id, score_date, scored, 0)  # a backfill
        some_later = latest is not None and latest > score_date
        alerts = 0
        if live:
            # Every changed record's alert in one statement, ids taken from the counter after it.
            found = cur.execute("SELECT value FROM counters WHERE name = 'ids.alerts'").fetchone()
            if found is None:
                cur.execute("INSERT INTO counters VALUES ('ids.alerts', 0)")
            last_id = found[0] if found else 0
            alerts = cur.execute(
                "INSERT INTO alerts SELECT ? + row_number() OVER (ORDER BY h.record_id), "
                f"{col('r', owner)}, ?, h.record_id, ?, c.category, h.category, ?, ? FROM health_scores h "
                "JOIN health_current c ON c.profile_id = h.profile_id AND c.record_id = h.record_id "
                f"JOIN {ident(profile.object)} r ON r.id = h.record_id "
                f"WHERE h.profile_id = ? AND h.score_date = ? AND h.category <> c.category AND {col('r', owner)} IS NOT NULL "
                "AND NOT coalesce(c.override_score IS NOT NULL AND c.override_until >= ?, FALSE) AND c.score_date <= ?",
                [
                    last_id,
                    profile.object,
                    profile.id,
                    now,
                    now + timedelta(days=ALERT_DAYS),
                    *day,
                    score_date,
                    score_date,
                ],
            ).fetchone()[0]
            cur.execute("UPDATE counters SET value = value + ? WHERE name = 'ids.alerts'", [alerts])
        if some_later:  # those keep their later score; every other one is this run's
            cur.execute("DELETE FROM health_current WHERE profile_id = ? AND score_date <= ?", day)
        else:
            cur.execute("DELETE FROM health_current WHERE profile_id = ?", [profile.id])
        kept = ("AND NOT EXISTS (SELECT 1 FROM health_current c WHERE c.profile_id = h.profile_id "
                "AND c.record_id = h.record_id)") if some_later else ""  # fmt: skip
        cur.execute("INSERT INTO health_current SELECT h.profile_id, h.record_id, h.score_date, h.score, h.category, "
                    "o.score, o.expires_on FROM health_scores h LEFT JOIN health_overrides o ON o.profile_id = h.profile_id "
                    f"AND o.record_id = h.record_id AND o.removed_at IS NULL WHERE h.profile_id = ? AND h.score_date = ? {kept}",
                    day)  # fmt: skip
        return RunResult(profile.id, score_date, scored, alerts)

    if record_id is not None:
        return _store_one(cur)
    return _store(cur)


def explain_details(details_json: str, profile: Profile) -> dict:
    """Points per group and which rules matched, from a stored score's details."""
    details = json.loads(details_json)
    out, n = [], 0
    for gi, g in enumerate(profile.definition["groups"]):
        rules = []
        for rule in g["rules"]:
            rules.append(
                {"rule": rule, "matched": bool(details["rules"][n]), "points": rule["points"]}
            )
            n += 1
        out.append({"group": g["name"], "kind": g["kind"], "points": details["groups"][gi],
                    "max_points": g["max_points"], "included": bool(details["included"][gi]), "rules": rules})  # fmt: skip
    return {"groups": out}

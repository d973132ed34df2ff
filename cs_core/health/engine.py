"""Scoring: a profile compiled to one DuckDB query, stored as dated history, with alerts (HS-1..HS-6).

The rules are those of spec/health-profiles.md, to the point: conditions by the
filter builder (so an empty value fails every operator but is_unknown), group
points clamped to [0, max], both missing-data modes, rounding half up with
integer arithmetic, and categories at the thresholds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pandas as pd

from cs_core import db, filters
from cs_core.health.profiles import Profile
from cs_core.records import list_properties
from cs_core.settings import get_customer_settings

ALERT_DAYS = 14
_OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True)
class RunResult:
    profile_id: int
    score_date: date
    scored: int
    alerts: int


def _activity_key(object_name: str) -> tuple[str, list]:
    if object_name == "companies":
        return "a.company_id", []
    if object_name == "contacts":
        return "a.contact_id", []
    return "CASE WHEN a.object = ? THEN a.record_id END", [object_name]


def _end_of(day: date) -> datetime:
    """Times compare as UTC instants at the end of the score date."""
    return datetime.combine(day + timedelta(days=1), time.min)


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


def score_query(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date,
                record_id: int | None = None) -> tuple[str, list]:  # fmt: skip
    """SQL (and its parameters, in order) giving, per scored record: id, score, category,
    group points g0.., included flags i0.., rule matches r0_0.. (group, rule)."""
    d = profile.definition
    obj = profile.object
    props = {p.name: p for p in list_properties(con, obj)}
    params: list = []
    base_filter = filters.compile_filter([d["record_filter"]] if d.get("record_filter") else [], props,
                                         today=score_date, alias="r")  # fmt: skip
    # Records created after the score date did not exist yet: they have no score that day.
    base = (f'SELECT r.* FROM "{obj}" r WHERE {base_filter.sql} '
            "AND (r.created_at IS NULL OR r.created_at < ?)")  # fmt: skip
    params += [*base_filter.params, _end_of(score_date)]
    if record_id is not None:
        base += " AND r.id = ?"
        params.append(record_id)
    key, key_params = _activity_key(obj)
    end = _end_of(score_date)
    aggs, agg_params = [], []
    rules_sql, rule_params = [], []
    group_sql, group_params, included_sql, included_params = [], [], [], []
    n = 0
    for gi, g in enumerate(d["groups"]):
        terms = []
        if g["kind"] == "engagement":
            all_types = sorted({t for r in g["rules"] for t in r["activity_types"]})
            aggs.append(f"count(*) FILTER (WHERE list_contains(?, a.activity_type)) > 0 AS any{gi}")
            agg_params.append(all_types)
            included_sql.append(f"coalesce(e.any{gi}, FALSE) AS i{gi}")
        else:
            read = sorted({c["property"] for r in g["rules"] for c in r["when"]})
            known = [f"{filters.known_sql(props[p], 'b')}" for p in read if p in props]
            included_sql.append(f"({' OR '.join(known) or 'FALSE'}) AS i{gi}")
        for ri, rule in enumerate(g["rules"]):
            if g["kind"] == "property":
                c = filters.compile_filter([rule["when"]], props, today=score_date, alias="b")
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
    scope = f"{key} = ?" if record_id is not None else f"{key} IN (SELECT id FROM base)"
    eng = (f"SELECT {key} AS rid, {', '.join(aggs)} FROM activities a "
           f"WHERE {scope} AND list_contains(?, a.activity_type) GROUP BY 1"
           ) if aggs else "SELECT NULL::BIGINT AS rid WHERE FALSE"  # fmt: skip
    where_params = [*key_params, record_id] if record_id is not None else list(key_params)
    eng_params = [*key_params, *agg_params, *where_params, all_types] if aggs else []
    maxes = [int(g["max_points"]) for g in d["groups"]]
    k = range(len(maxes))
    if d["missing_data"] == "redistribute":
        got = " + ".join(f"CASE WHEN i{i} THEN g{i} ELSE 0 END" for i in k)
        out_of = " + ".join(f"CASE WHEN i{i} THEN {maxes[i]} ELSE 0 END" for i in k)
    else:
        got, out_of = " + ".join(f"g{i}" for i in k), "100"
    score = f"CASE WHEN ({out_of}) = 0 THEN NULL ELSE (200 * ({got}) + ({out_of})) // (2 * ({out_of})) END"
    sql = f"""
    WITH base AS ({base}),
    e AS ({eng}),
    m AS (SELECT b.id, {", ".join(rules_sql)}, {", ".join(included_sql)}
          FROM base b LEFT JOIN e ON e.rid = b.id),
    g AS (SELECT *, {", ".join(group_sql)} FROM m),
    s AS (SELECT *, {score} AS score FROM g)
    SELECT *, CASE WHEN score <= ? THEN 'at_risk' WHEN score >= ? THEN 'successful' ELSE 'neutral' END AS category
    FROM s WHERE score IS NOT NULL
    """
    return sql, [*params, *eng_params, *rule_params, *included_params, *group_params,
                 profile.at_risk_max, profile.successful_min]  # fmt: skip


def compute(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date,
            record_id: int | None = None) -> pd.DataFrame:  # fmt: skip
    """Scores without storing them (for drafts, "test a record" and previews)."""
    sql, params = score_query(con, profile, score_date=score_date, record_id=record_id)
    return con.execute(sql + " ORDER BY id", params).df()


def _details(profile: Profile) -> str:
    d = profile.definition
    groups = ", ".join(f"g{i}" for i in range(len(d["groups"])))
    included = ", ".join(f"i{i}" for i in range(len(d["groups"])))
    rules = ", ".join(
        f"r{gi}_{ri}" for gi, g in enumerate(d["groups"]) for ri in range(len(g["rules"]))
    )
    return f"to_json({{'groups': [{groups}], 'included': [{included}], 'rules': [{rules}]}})"


def run(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date, now: datetime,
        record_id: int | None = None) -> RunResult:  # fmt: skip
    """Score and store (replacing that date's rows), then raise alerts for category changes."""
    sql, params = score_query(con, profile, score_date=score_date, record_id=record_id)
    now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    settings = get_customer_settings(con)
    owner = settings.owner_property if settings.object == profile.object else None
    scope = [profile.id, score_date] + ([record_id] if record_id is not None else [])

    live = profile.definition["status"] == "live" and owner is not None
    insert = (f"INSERT INTO health_scores SELECT ?, id, ?, ?, score, category, {_details(profile)}, ? "
              f"FROM ({sql})")  # fmt: skip
    insert_params = [profile.id, score_date, profile.version, now, *params]

    def _raise(cur, changed) -> int:
        for rid, old, new, user_id in changed:
            cur.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [db.new_id(cur, "alerts"), user_id, profile.object, rid, profile.id, old, new, now,
                         now + timedelta(days=ALERT_DAYS)])  # fmt: skip
        return len(changed)

    def _store_one(cur) -> RunResult:
        # One record (after an edit): few statements, as this runs while the user waits.
        before = cur.execute(
            "SELECT arg_max(category, score_date) FROM health_scores WHERE profile_id = ? AND record_id = ? "
            "AND score_date <= ?", [profile.id, record_id, score_date]).fetchone()[0]  # fmt: skip
        cur.execute(
            "DELETE FROM health_scores WHERE profile_id = ? AND score_date = ? AND record_id = ?",
            scope,
        )
        scored = cur.execute(insert, insert_params).fetchone()[0]
        alerts = 0
        if live and scored and before is not None:
            row = cur.execute(
                f'SELECT h.category, r."{owner}" FROM health_scores h JOIN "{profile.object}" r ON r.id = h.record_id '
                "WHERE h.profile_id = ? AND h.score_date = ? AND h.record_id = ?", scope).fetchone()  # fmt: skip
            if row and row[0] != before and row[1] is not None:
                alerts = _raise(cur, [(record_id, before, row[0], row[1])])
        return RunResult(profile.id, score_date, scored, alerts)

    def _store(cur) -> RunResult:
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _previous AS SELECT record_id, arg_max(category, score_date) AS category "
            "FROM health_scores WHERE profile_id = ? AND score_date <= ? GROUP BY record_id", scope,
        )  # fmt: skip
        cur.execute("DELETE FROM health_scores WHERE profile_id = ? AND score_date = ?", scope)
        scored = cur.execute(insert, insert_params).fetchone()[0]
        alerts = 0
        if live:
            alerts = _raise(cur, cur.execute(
                f'SELECT h.record_id, p.category, h.category, r."{owner}" FROM health_scores h '
                f'JOIN _previous p ON p.record_id = h.record_id JOIN "{profile.object}" r ON r.id = h.record_id '
                f'WHERE h.profile_id = ? AND h.score_date = ? AND h.category <> p.category AND r."{owner}" IS NOT NULL',
                scope,
            ).fetchall())  # fmt: skip
        cur.execute("DROP TABLE _previous")
        return RunResult(profile.id, score_date, scored, alerts)

    if record_id is not None:
        return db.write(con, _store_one)
    return db.write(con, _store)


def explain(details_json: str, profile: Profile) -> dict:
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


def recompute_record(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, now: datetime
) -> int:
    """Rescore one record in every live profile of its object (after an edit or a new activity)."""
    from cs_core.health.profiles import list_profiles

    day = (now.astimezone(UTC) if now.tzinfo else now).date()
    done = 0
    for profile in list_profiles(con, object_name=object_name, live_only=True):
        run(con, profile, score_date=day, now=now, record_id=record_id)
        done += 1
    return done

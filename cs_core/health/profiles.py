"""Health-score profiles: the JSON format of spec/health-profiles.md, validated and stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import db, filters
from cs_core.errors import Problems
from cs_core.records import get_object, list_properties
from cs_core.users import Action, User, require

MISSING_MODES = ("no_points", "redistribute")
STATUSES = ("draft", "live")
ENGAGEMENT_MEASURES = ("count", "days_since_last")
ENGAGEMENT_OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_known", "is_unknown")
ACTIVITY_TYPES = (
    "email_open", "email_click", "email_reply", "page_view", "form_submission", "sequence_enrolled",
    "sequence_unenrolled", "meeting_booked", "call", "meeting", "note",
)  # fmt: skip


class ProfileError(Problems):
    """A profile that cannot be used; ``problems`` names every problem."""


@dataclass(frozen=True)
class Profile:
    id: int | None
    name: str
    object: str
    status: str
    version: int
    definition: dict

    @property
    def at_risk_max(self) -> int:
        return int(self.definition["thresholds"]["at_risk_max"])

    @property
    def successful_min(self) -> int:
        return int(self.definition["thresholds"]["successful_min"])

    @property
    def reads(self) -> frozenset[str]:
        """The properties its score depends on: those of the record filter and the property rules
        (``$owner`` stands for the owner property of the settings)."""
        d = self.definition
        record_filter = [d["record_filter"]] if d.get("record_filter") else []
        conditions = [c for g in filters.normalise(record_filter) for c in g]
        conditions += [
            c for g in d["groups"] if g["kind"] == "property" for r in g["rules"] for c in r["when"]
        ]
        return frozenset(c["property"] for c in conditions)


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(con: duckdb.DuckDBPyConnection, definition: dict) -> dict:
    """The definition with defaults filled in; ProfileError naming every problem otherwise."""
    if not isinstance(definition, dict):
        raise ProfileError(["A profile must be a JSON object."])
    problems: list[str] = []
    d = {"status": "draft", "missing_data": "no_points", "record_filter": [],
         "thresholds": {"at_risk_max": 33, "successful_min": 67}, **definition}  # fmt: skip
    name = str(d.get("name") or "").strip()
    if not name:
        problems.append("The profile needs a name.")
    obj = d.get("object")
    if not obj or get_object(con, obj) is None:
        raise ProfileError([*problems, f"There is no object {obj!r} to score."])
    props = {p.name: p for p in list_properties(con, obj)}
    if d["status"] not in STATUSES:
        problems.append(f"status must be draft or live, not {d['status']!r}.")
    if d["missing_data"] not in MISSING_MODES:
        problems.append(
            f"missing_data must be no_points or redistribute, not {d['missing_data']!r}."
        )
    t = d.get("thresholds") or {}
    low, high = t.get("at_risk_max"), t.get("successful_min")
    if not (_int(low) and _int(high) and 0 <= low < high <= 100):
        problems.append(
            "thresholds need whole numbers with 0 <= at_risk_max < successful_min <= 100."
        )
    try:
        filters.compile_filter([d["record_filter"]] if d["record_filter"] else [], props,
                               today=datetime(2000, 1, 1).date(), me=0)  # fmt: skip
    except filters.FilterError as exc:
        problems.append(f"record_filter: {exc}")
    groups = d.get("groups")
    if not isinstance(groups, list) or not groups:
        problems.append("A profile needs at least one group.")
        groups = []
    total = 0
    for gi, g in enumerate(groups, start=1):
        where = f"Group {gi} ({g.get('name') or 'unnamed'})"
        if g.get("kind") not in ("property", "engagement"):
            problems.append(f"{where}: kind must be property or engagement.")
            continue
        if not (_int(g.get("max_points")) and g["max_points"] > 0):
            problems.append(f"{where}: max_points must be a positive whole number.")
        else:
            total += g["max_points"]
        rules = g.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{where}: a group needs at least one rule.")
            continue
        for ri, rule in enumerate(rules, start=1):
            problems += [f"{where}, rule {ri}: {p}" for p in _rule_problems(g["kind"], rule, props)]
    if groups and total != 100:
        problems.append(f"The groups' max_points add up to {total}, not 100.")
    if problems:
        raise ProfileError(problems)
    return {**d, "name": name}


def _rule_problems(kind: str, rule: dict, props: dict) -> list[str]:
    if not isinstance(rule, dict):
        return ["a rule must be an object."]
    out = []
    if not _int(rule.get("points")):
        out.append("points must be a whole number (negative takes points away).")
    if kind == "property":
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            return [*out, "a property rule needs conditions under 'when'."]
        try:
            filters.compile_filter([when], props, today=datetime(2000, 1, 1).date(), me=0)
        except filters.FilterError as exc:
            out.append(str(exc))
        return out
    types = rule.get("activity_types")
    if not isinstance(types, list) or not types or any(t not in ACTIVITY_TYPES for t in types):
        out.append(f"activity_types must list some of: {', '.join(ACTIVITY_TYPES)}.")
    if rule.get("measure") not in ENGAGEMENT_MEASURES:
        out.append("measure must be count or days_since_last.")
    if rule.get("measure") == "count" and not (
        _int(rule.get("window_days")) and rule["window_days"] > 0
    ):
        out.append("a count needs window_days, a positive whole number.")
    op = rule.get("operator")
    if op not in ENGAGEMENT_OPERATORS:
        out.append(f"operator {op!r} does not fit a number of activities or days.")
    elif op == "between":
        v = rule.get("value")
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v)):
            out.append("'between' needs [low, high].")
    elif op not in ("is_known", "is_unknown") and not isinstance(rule.get("value"), int | float):
        out.append("value must be a number.")
    return out


# --- storage --------------------------------------------------------------------------


def _row_to_profile(row) -> Profile:
    return Profile(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))


def list_profiles(con: duckdb.DuckDBPyConnection, *, object_name: str | None = None,
                  live_only: bool = False) -> list[Profile]:  # fmt: skip
    sql = "SELECT id, name, object, status, version, definition FROM health_profiles WHERE TRUE"
    params: list = []
    if object_name:
        sql, params = sql + " AND object = ?", [object_name]
    if live_only:
        sql += " AND status = 'live'"
    return [
        _row_to_profile(r) for r in con.execute(sql + " ORDER BY lower(name)", params).fetchall()
    ]


def get_profile(con: duckdb.DuckDBPyConnection, *, profile_id: int | None = None,
                name: str | None = None) -> Profile | None:  # fmt: skip
    sql = "SELECT id, name, object, status, version, definition FROM health_profiles WHERE "
    row = (con.execute(sql + "id = ?", [profile_id]) if profile_id is not None
           else con.execute(sql + "lower(name) = lower(?)", [name or ""])).fetchone()  # fmt: skip
    return _row_to_profile(row) if row else None


def save_profile(con: duckdb.DuckDBPyConnection, *, actor: User | None, definition: dict,
                 now: datetime) -> Profile:  # fmt: skip
    """Create a profile, or replace the one with the same name; a changed live profile is a new version.

    ``actor`` None is the command line.
    """
    if actor is not None:
        require(actor, Action.EDIT_HEALTH_PROFILES)
    d = validate(con, definition)
    text = json.dumps(d, sort_keys=True)
    current = get_profile(con, name=d["name"])
    now = now.replace(tzinfo=None)

    def _save(cur) -> int:
        if current is None:
            pid, version = db.new_id(cur, "health_profiles"), 1
            cur.execute("INSERT INTO health_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [pid, d["name"], d["object"], d["status"], version, text, actor.id if actor else None,
                         now, now])  # fmt: skip
        else:
            pid = current.id
            scoring = {k: v for k, v in d.items() if k != "status"}
            before = {k: v for k, v in current.definition.items() if k != "status"}
            changed = json.dumps(before, sort_keys=True) != json.dumps(scoring, sort_keys=True)
            # A live profile's changed rules are a new version; a draft is edited in place.
            version = (
                current.version + 1 if changed and current.status == "live" else current.version
            )
            cur.execute("UPDATE health_profiles SET object = ?, status = ?, version = ?, definition = ?, "
                        "updated_at = ? WHERE id = ?", [d["object"], d["status"], version, text, now, pid])  # fmt: skip
            if version == current.version:
                cur.execute("INSERT INTO health_profile_versions VALUES (?, ?, ?, ?, ?) "
                            "ON CONFLICT (profile_id, version) DO UPDATE SET definition = excluded.definition",
                            [pid, version, text, actor.id if actor else None, now])  # fmt: skip
                return pid
        cur.execute("INSERT INTO health_profile_versions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [pid, version, text, actor.id if actor else None, now])  # fmt: skip
        return pid

    return get_profile(con, profile_id=db.write(con, _save))


def version_changes(con: duckdb.DuckDBPyConnection, profile_id: int) -> list[tuple[int, datetime]]:
    """(version, when) of every saved version, for marking the history chart."""
    return con.execute("SELECT version, created_at FROM health_profile_versions WHERE profile_id = ? "
                       "ORDER BY version", [profile_id]).fetchall()  # fmt: skip

"""Health-score profiles: the JSON format of spec/health-profiles.md, validated and stored."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import activities, changes, clock, db, filters
from cs_core.errors import Problems
from cs_core.records import get_object, list_properties
from cs_core.settings import get_customer_settings
from cs_core.sql import NameRefused, clean_label
from cs_core.users import Action, User, require

MISSING_MODES = ("no_points", "redistribute")
STATUSES = ("draft", "live")
ENGAGEMENT_MEASURES = ("count", "days_since_last")
ENGAGEMENT_OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_known", "is_unknown")
ACTIVITY_TYPES = activities.TYPES


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


MAX_WINDOW_DAYS = 36_500  # a hundred years, as the filter builder's "last N days"
MAX_POINTS = 1_000  # a rule's points, either way (a group is clamped to its maximum anyway)
MAX_MEASURE = 1_000_000_000  # an engagement rule compares a count or a number of days


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    """A finite number an engagement rule can compare with (no bool, no NaN or infinity)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) <= MAX_MEASURE)  # fmt: skip


_CHECK_DAY = datetime(2000, 1, 1).date()  # rules are checked on a fixed day: a date changes nothing


def _uses_me(conditions) -> bool:
    return any(isinstance(c, dict) and c.get("value") == filters.ME
               or isinstance(c, dict) and isinstance(c.get("value"), list) and filters.ME in c["value"]
               for c in conditions or [])  # fmt: skip


def _check_conditions(conditions, props: dict, owner: str | None) -> list[str]:
    """Why these conditions cannot score (a profile scores for no one in particular: no 'me')."""
    if _uses_me(conditions if isinstance(conditions, list) else []):
        return ["a profile scores every owner's records, so it cannot compare with 'me'; "
                "choose a user instead."]  # fmt: skip
    try:
        filters.compile_filter([conditions] if conditions else [], props, today=_CHECK_DAY,
                               owner=owner)  # fmt: skip
    except filters.FilterError as exc:
        return [str(exc)]
    return []


def validate(con: duckdb.DuckDBPyConnection, definition: dict) -> dict:
    """The definition with defaults filled in; ProfileError naming every problem otherwise."""
    if not isinstance(definition, dict):
        raise ProfileError(["A profile must be a JSON object."])
    problems: list[str] = []
    d = {"status": "draft", "missing_data": "no_points", "record_filter": [],
         "thresholds": {"at_risk_max": 33, "successful_min": 67}, **definition}  # fmt: skip
    for key in ("status", "missing_data"):
        if not isinstance(d[key], str):
            d[key] = repr(d[key])[:40]  # reported below as not one of the choices
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("The profile needs a name.")
        name = ""
    else:
        try:
            name = clean_label(name, what="A profile name", max_length=100)
        except NameRefused as exc:
            problems.append(str(exc))
    obj = d.get("object")
    if not isinstance(obj, str) or get_object(con, obj) is None:
        raise ProfileError([*problems, f"There is no object {obj!r} to score."])
    props = {p.name: p for p in list_properties(con, obj)}
    settings = get_customer_settings(con)
    owner = settings.owner_property if settings.object == obj else None
    if d["status"] not in STATUSES:
        problems.append(f"status must be draft or live, not {d['status']!r}.")
    if d["missing_data"] not in MISSING_MODES:
        problems.append(
            f"missing_data must be no_points or redistribute, not {d['missing_data']!r}."
        )
    t = d.get("thresholds") if isinstance(d.get("thresholds"), dict) else {}
    low, high = t.get("at_risk_max"), t.get("successful_min")
    if not (_int(low) and _int(high) and 0 <= low < high <= 100):
        problems.append(
            "thresholds need whole numbers with 0 <= at_risk_max < successful_min <= 100."
        )
    if not isinstance(d["record_filter"], list):
        problems.append("record_filter must be a list of conditions.")
    else:
        problems += [
            f"record_filter: {p}" for p in _check_conditions(d["record_filter"], props, owner)
        ]
    groups = d.get("groups")
    if not isinstance(groups, list) or not groups:
        problems.append("A profile needs at least one group.")
        groups = []
    total = 0
    for gi, g in enumerate(groups, start=1):
        if not isinstance(g, dict):
            problems.append(
                f"Group {gi}: a group must be an object with name, kind, max_points and rules."
            )
            continue
        if not isinstance(g.get("name"), str) or not g["name"].strip() or len(g["name"]) > 100:
            problems.append(f"Group {gi}: a group needs a name (at most 100 characters).")
        where = f"Group {gi} ({str(g.get('name') or 'unnamed')[:40]})"
        if g.get("kind") not in ("property", "engagement"):
            problems.append(f"{where}: kind must be property or engagement.")
            continue
        if not (_int(g.get("max_points")) and 0 < g["max_points"] <= 100):
            problems.append(f"{where}: max_points must be a whole number from 1 to 100.")
        else:
            total += g["max_points"]
        rules = g.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{where}: a group needs at least one rule.")
            continue
        for ri, rule in enumerate(rules, start=1):
            problems += [
                f"{where}, rule {ri}: {p}" for p in _rule_problems(g["kind"], rule, props, owner)
            ]
    if groups and total != 100:
        problems.append(f"The groups' max_points add up to {total}, not 100.")
    if problems:
        raise ProfileError(problems)
    return {**d, "name": name}


def _rule_problems(kind: str, rule: dict, props: dict, owner: str | None = None) -> list[str]:
    if not isinstance(rule, dict):
        return ["a rule must be an object."]
    out = []
    if not (_int(rule.get("points")) and abs(rule["points"]) <= MAX_POINTS):
        out.append(f"points must be a whole number from -{MAX_POINTS:,} to {MAX_POINTS:,} "
                   "(negative takes points away).")  # fmt: skip
    if kind == "property":
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            return [*out, "a property rule needs conditions under 'when'."]
        return out + _check_conditions(when, props, owner)
    types = rule.get("activity_types")
    if (not isinstance(types, list) or not types
            or any(not isinstance(t, str) or t not in ACTIVITY_TYPES for t in types)):  # fmt: skip
        out.append(f"activity_types must list some of: {', '.join(ACTIVITY_TYPES)}.")
    measure = rule.get("measure")
    if not isinstance(measure, str) or measure not in ENGAGEMENT_MEASURES:
        out.append("measure must be count or days_since_last.")
    if measure == "count" and not (
        _int(rule.get("window_days")) and 0 < rule["window_days"] <= MAX_WINDOW_DAYS
    ):
        out.append(f"a count needs window_days, a whole number from 1 to {MAX_WINDOW_DAYS:,}.")
    op = rule.get("operator")
    limit = f"a finite number within ±{MAX_MEASURE:,}"
    if not isinstance(op, str) or op not in ENGAGEMENT_OPERATORS:
        out.append(f"operator {str(op)[:40]!r} does not fit a number of activities or days.")
    elif op == "between":
        v = rule.get("value")
        if not (isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v)):
            out.append(f"'between' needs [low, high], each {limit}.")
        elif v[0] > v[1]:
            out.append("'between' needs low <= high.")
    elif op not in ("is_known", "is_unknown") and not _number(rule.get("value")):
        out.append(f"value must be {limit}.")
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
    """Create a profile, or replace the one with the same name (names are unique, whatever the case).

    A version that has been live is never changed: new rules after that are a new version
    (a profile taken back to draft and edited included), so every stored score keeps the rules
    it was computed with (HS-5). A draft that was never live is edited in place. Publishing
    (live, or a live profile's new rules) scores the profile in the same transaction, from the
    editor and the command line alike. ``actor`` None is the command line.
    """
    if actor is not None:
        require(actor, Action.EDIT_HEALTH_PROFILES)
    d = validate(con, definition)
    text = json.dumps(d, sort_keys=True)
    by = actor.id if actor else None
    now = clock.utc_naive(now)
    live = d["status"] == "live"

    def _save(cur) -> int:
        current = get_profile(cur, name=d["name"])
        if current is None:
            pid, version = db.new_id(cur, "health_profiles"), 1
            cur.execute("INSERT INTO health_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [pid, d["name"], d["object"], d["status"], version, text, by, now, now])  # fmt: skip
            cur.execute("INSERT INTO health_profile_versions VALUES (?, ?, ?, ?, ?, ?)",
                        [pid, version, text, by, now, now if live else None])  # fmt: skip
            if live:
                changes.apply(cur, changes.ProfilePublished(pid), now=now)
            return pid
        pid = current.id
        scoring = {k: v for k, v in d.items() if k != "status"}
        before = {k: v for k, v in current.definition.items() if k != "status"}
        rules_changed = json.dumps(before, sort_keys=True) != json.dumps(scoring, sort_keys=True)
        was_published = published(cur, pid, current.version)
        version = current.version + 1 if rules_changed and was_published else current.version
        cur.execute("UPDATE health_profiles SET name = ?, object = ?, status = ?, version = ?, definition = ?, "
                    "updated_at = ? WHERE id = ?", [d["name"], d["object"], d["status"], version, text, now, pid])  # fmt: skip
        if version != current.version:
            cur.execute("INSERT INTO health_profile_versions VALUES (?, ?, ?, ?, ?, ?)",
                        [pid, version, text, by, now, now if live else None])  # fmt: skip
        else:
            cur.execute("UPDATE health_profile_versions SET definition = ?, "
                        "published_at = coalesce(published_at, ?) WHERE profile_id = ? AND version = ?",
                        [text, now if live else None, pid, version])  # fmt: skip
        if live and (current.status != "live" or version != current.version or rules_changed):
            changes.apply(cur, changes.ProfilePublished(pid), now=now)
        return pid

    return get_profile(con, profile_id=db.write(con, _save))


def published(con: duckdb.DuckDBPyConnection, profile_id: int, version: int) -> bool:
    """Whether that version of the profile is frozen: it has been live, or stored scores point at
    it (a draft recomputed from the command line), so its rules may no longer change."""
    row = con.execute(
        "SELECT (SELECT published_at IS NOT NULL FROM health_profile_versions WHERE profile_id = $p AND version = $v) "
        "OR EXISTS (SELECT 1 FROM health_scores WHERE profile_id = $p AND profile_version = $v)",
        {"p": profile_id, "v": version}).fetchone()  # fmt: skip
    return bool(row and row[0])


def version_changes(con: duckdb.DuckDBPyConnection, profile_id: int) -> list[tuple[int, datetime]]:
    """(version, when) of every saved version, for marking the history chart."""
    return con.execute("SELECT version, created_at FROM health_profile_versions WHERE profile_id = ? "
                       "ORDER BY version", [profile_id]).fetchall()  # fmt: skip

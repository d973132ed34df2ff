"""A record's health explained: score, category, trend, points per rule, what changed (HS-7)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from cs_core import filters
from cs_core.health.engine import explain_details
from cs_core.health.profiles import Profile, list_profiles, version_changes
from cs_core.health.reports import in_effect_sql
from cs_core.records import list_properties


@dataclass(frozen=True)
class RecordHealth:
    profile: Profile
    score: int
    category: str
    score_date: date
    previous_score: int | None
    groups: list[
        dict
    ]  # group, kind, points, max_points, included, rules: [{rule, matched, points, text}]
    changes: list[str]  # rules that started or stopped matching since the previous score
    history: pd.DataFrame  # score_date, score, category, profile_version
    versions: list[tuple[int, object]]  # (version, saved at)


@dataclass(frozen=True)
class CurrentHealth:
    profile_name: str
    score: int  # in effect: the override's while one is active
    category: str
    score_date: date
    previous_score: int | None  # the computed score before the current one
    computed_score: int
    overridden: bool
    profile_id: int = 0


def current_health(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, day: date
) -> list[CurrentHealth]:
    """The record's score in effect on ``day`` in each live profile of its object, with the
    computed score and the one before it: the line a preview shows, without reading the
    record's whole history."""
    effect, params = in_effect_sql(day=day, within=str(int(record_id)), live_of=object_name)
    # The score before the current one, in the same statement: scores are daily, so the last
    # week's history (skipped to by the dates' zone maps) nearly always has it; only a record
    # without one there needs its whole history read.
    week = day - timedelta(days=8)
    rows = con.execute(
        "SELECT e.profile_id, e.profile_name, CAST(e.score AS INTEGER), e.category, e.score_date, "
        "CAST(e.computed_score AS INTEGER), e.overridden, "
        "(SELECT CAST(arg_max(h.score, h.score_date) AS INTEGER) FROM health_scores h WHERE h.profile_id = e.profile_id "
        f"AND h.record_id = ? AND h.score_date >= ? AND h.score_date < e.score_date) FROM ({effect}) e ORDER BY e.profile_id",
        [record_id, week, *params]).fetchall()  # fmt: skip
    return [CurrentHealth(name, score, category, when,
                          previous if previous is not None else _previous_score(con, profile_id, record_id, when),
                          computed, overridden, profile_id)
            for profile_id, name, score, category, when, computed, overridden, previous in rows]  # fmt: skip


def _previous_score(
    con: duckdb.DuckDBPyConnection, profile_id: int, record_id: int, day: date
) -> int | None:
    """The last score before ``day`` from the record's whole history."""
    return con.execute(
        "SELECT CAST(arg_max(score, score_date) AS INTEGER) FROM health_scores "
        "WHERE profile_id = ? AND record_id = ? AND score_date < ?",
        [profile_id, record_id, day],
    ).fetchone()[0]


def describe_rule(rule: dict, props: dict) -> str:
    """A rule in words, for the breakdown."""
    if "when" in rule:
        return " and ".join(filters.describe(c, props) for c in rule["when"])
    types = ", ".join(t.replace("_", " ") for t in rule["activity_types"])
    words = {"eq": "=", "neq": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    op, value = rule["operator"], rule.get("value")
    test = {"is_known": "any", "is_unknown": "none"}.get(op) or (
        f"between {value[0]} and {value[1]}" if op == "between" else f"{words[op]} {value}")  # fmt: skip
    if rule["measure"] == "count":
        return f"{types} in the last {rule['window_days']} days: {test}"
    return f"days since the last {types}: {test}"


def record_health(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int
) -> list[RecordHealth]:
    """One entry per live profile that scores the record now: its current score, explained,
    with the dated history up to it."""
    out = []
    props = {p.name: p for p in list_properties(con, object_name)}
    for profile in list_profiles(con, object_name=object_name, live_only=True):
        rows = con.execute(
            "SELECT score_date, CAST(score AS INTEGER) AS score, category, profile_version, details "
            "FROM health_scores WHERE profile_id = ? AND record_id = ? "
            "AND score_date <= (SELECT score_date FROM health_current WHERE profile_id = ? AND record_id = ?) "
            "ORDER BY score_date",
            [profile.id, record_id, profile.id, record_id],
        ).df()  # fmt: skip
        if rows.empty:  # not scored by this profile (now)
            continue
        last = rows.iloc[-1]
        groups = explain_details(last["details"], profile)["groups"]
        for g in groups:
            for r in g["rules"]:
                r["text"] = describe_rule(r["rule"], props)
        changes: list[str] = []
        previous = None
        if len(rows) > 1:
            prev = rows.iloc[-2]
            previous = int(prev["score"])
            if int(prev["profile_version"]) == int(last["profile_version"]):
                before = json.loads(prev["details"])["rules"]
                now = json.loads(last["details"])["rules"]
                flat = [r for g in groups for r in g["rules"]]
                for was, is_, r in zip(before, now, flat, strict=True):
                    if was != is_:
                        verb = "now holds" if is_ else "no longer holds"
                        changes.append(
                            f"{r['text']} {verb} ({'+' if r['points'] > 0 else ''}{r['points']} points)"
                        )
            else:
                changes.append(f"The profile changed (version {int(prev['profile_version'])} → "
                               f"{int(last['profile_version'])}) since the previous score.")  # fmt: skip
        out.append(RecordHealth(
            profile=profile, score=int(last["score"]), category=last["category"], score_date=last["score_date"],
            previous_score=previous, groups=groups, changes=changes,
            history=rows[["score_date", "score", "category", "profile_version"]],
            versions=version_changes(con, profile.id),
        ))  # fmt: skip
    return out

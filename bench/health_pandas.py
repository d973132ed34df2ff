"""A profile's health scores computed in pandas, the obvious way, to compare with DuckDB's.

The rules of spec/health-profiles.md, implemented again from the spec: the record's
columns and the activities are loaded from DuckDB into data frames, and conditions,
engagement windows, group clamps, missing-data modes, rounding and categories are
worked out in pandas. Nothing is stored. ``scores`` returns what
``cs_core.health.engine.compute`` does (id, score, category), so the two can be compared.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from cs_core import activities as record_activities
from cs_core.health.profiles import Profile
from cs_core.records import Property, list_properties
from cs_core.sql import ident

TEXT_TYPES = ("string", "enumeration")
ID_TYPES = ("user", "pipeline", "stage")


def _value(prop: Property, value):
    """A condition's value as the column's values compare with it."""
    if prop.type == "number":
        return float(value)
    if prop.type in ("date", "datetime"):
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            value = date.fromisoformat(str(value).strip()[:10])
        return pd.Timestamp(value)
    if prop.type == "boolean":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "yes")
    if prop.type in ID_TYPES:
        if value == "$me":
            raise ValueError(f"{prop.name}: 'me' means nothing when scoring.")
        return int(value)
    return str(value).strip().lower()


def _condition(frame: pd.DataFrame, prop: Property, cond: dict, day: date) -> pd.Series:
    """Whether each record meets one condition; an empty value fails all but is_unknown."""
    op, value = cond["operator"], cond.get("value")
    raw = frame[prop.name]
    if prop.type in TEXT_TYPES:
        text = raw.astype("string").str.strip()
        known = text.notna() & (text != "")
        col = text.str.lower()
    elif prop.type in ("date", "datetime"):
        known = raw.notna()
        col = pd.to_datetime(raw).dt.normalize()  # datetimes compare by their date
    elif prop.type == "number":
        known = raw.notna()
        col = pd.to_numeric(raw)
    else:
        known = raw.notna()
        col = raw
    known = known.fillna(False).astype(bool)
    if op == "is_known":
        return known
    if op == "is_unknown":
        return ~known
    if op in ("in_last_days", "more_than_days_ago"):  # the N days ending on the score date
        today = pd.Timestamp(day)
        since = today - pd.Timedelta(days=int(value))
        held = ((col > since) & (col <= today)) if op == "in_last_days" else col < since
    elif op == "between":
        held = col.between(_value(prop, value[0]), _value(prop, value[1]))
    elif op in ("in", "not_in"):
        held = col.isin([_value(prop, v) for v in value])
        if op == "not_in":
            held = ~held
    elif op == "contains":
        held = col.str.contains(_value(prop, value), regex=False)
    else:
        v = _value(prop, value)
        held = {
            "eq": col == v,
            "neq": col != v,
            "gt": col > v,
            "gte": col >= v,
            "lt": col < v,
            "lte": col <= v,
        }[op]
    return known & held.fillna(False).astype(bool)


def _all(
    frame: pd.DataFrame, props: dict[str, Property], conds: list[dict], day: date
) -> pd.Series:
    """All conditions hold (AND)."""
    held = pd.Series(True, index=frame.index)
    for cond in conds:
        held &= _condition(frame, props[cond["property"]], cond, day)
    return held


def _compare(value: pd.Series, op: str, target) -> pd.Series:
    """An engagement measure against the rule's value; an empty measure fails but is_unknown."""
    if op == "is_known":
        return value.notna()
    if op == "is_unknown":
        return value.isna()
    if op == "between":
        held = (value >= target[0]) & (value <= target[1])
    else:
        held = {
            "eq": value == target,
            "neq": value != target,
            "gt": value > target,
            "gte": value >= target,
            "lt": value < target,
            "lte": value <= target,
        }[op]
    return value.notna() & held


def _per_record(base: pd.DataFrame, per: pd.Series, fill=None) -> pd.Series:
    """A per-record figure (indexed by record id) lined up with ``base``."""
    values = per.reindex(base["id"]) if fill is None else per.reindex(base["id"], fill_value=fill)
    return pd.Series(values.to_numpy(), index=base.index)


def scores(con: duckdb.DuckDBPyConnection, profile: Profile, *, score_date: date) -> pd.DataFrame:
    """id, score, category of every record the profile scores on ``score_date``, by id."""
    d = profile.definition
    obj = profile.object
    props = {p.name: p for p in list_properties(con, obj)}
    record_filter = d.get("record_filter") or []
    groups = d["groups"]

    # The data: the columns the rules read, and the activities of the types they name.
    read = {c["property"] for c in record_filter}
    read |= {c["property"] for g in groups if g["kind"] == "property" for r in g["rules"] for c in r["when"]}  # fmt: skip
    columns = ", ".join(ident(p) for p in sorted(read - {"id", "created_at"}))
    records = con.execute(
        f"SELECT id, created_at{', ' + columns if columns else ''} FROM {ident(obj)}"
    ).df()
    types = sorted({t for g in groups if g["kind"] == "engagement" for r in g["rules"] for t in r["activity_types"]})  # fmt: skip
    linked, linked_params = record_activities.linked(obj)  # the one rule for a record's activities
    activities = con.execute(
        f"SELECT rid, activity_type, occurred_at FROM ({linked}) a WHERE list_contains(?, activity_type)",
        [*linked_params, types],
    ).df()

    # The records scored: those meeting the record filter that existed by the end of the day.
    end = pd.Timestamp(score_date + timedelta(days=1))  # UTC instants at the end of the day
    existed = records["created_at"].isna() | (records["created_at"] < end)
    base = records[existed & _all(records, props, record_filter, score_date)].reset_index(drop=True)
    activities = activities[activities["rid"].isin(base["id"])]

    points, included = [], []
    for g in groups:
        total = pd.Series(0, index=base.index, dtype="int64")
        if g["kind"] == "property":
            for rule in g["rules"]:
                total += np.where(_all(base, props, rule["when"], score_date), rule["points"], 0)
            inputs = sorted({c["property"] for r in g["rules"] for c in r["when"]})
            known = [
                _condition(base, props[p], {"operator": "is_known"}, score_date) for p in inputs
            ]
            included.append(np.logical_or.reduce(known))
        else:
            group_types = {t for r in g["rules"] for t in r["activity_types"]}
            by_then = activities["occurred_at"] <= end  # a score date sees no later activity
            ever = activities.loc[activities["activity_type"].isin(group_types) & by_then, "rid"]
            included.append(base["id"].isin(ever).to_numpy())
            for rule in g["rules"]:
                mine = activities[activities["activity_type"].isin(rule["activity_types"])]
                if rule["measure"] == "count":
                    since = end - pd.Timedelta(days=rule["window_days"])
                    mine = mine[(mine["occurred_at"] > since) & (mine["occurred_at"] <= end)]
                    per = mine.groupby("rid").size()
                    value = _per_record(base, per, fill=0)
                else:
                    last = mine[mine["occurred_at"] <= end].groupby("rid")["occurred_at"].max()
                    last_day = pd.to_datetime(_per_record(base, last)).dt.normalize()
                    value = (pd.Timestamp(score_date) - last_day).dt.days  # empty if none
                held = _compare(value, rule["operator"], rule.get("value"))
                total += np.where(held, rule["points"], 0)
        points.append(total.clip(lower=0, upper=g["max_points"]).to_numpy())

    maxes = np.array([g["max_points"] for g in groups], dtype="int64")
    got_by_group = np.column_stack(points).astype("int64")
    if d["missing_data"] == "redistribute":
        counted = np.column_stack(included).astype(bool)
        got = (got_by_group * counted).sum(axis=1)
        out_of = (maxes * counted).sum(axis=1)
    else:
        got = got_by_group.sum(axis=1)
        out_of = np.full(len(base), 100, dtype="int64")
    has = out_of > 0  # every group left out: no score
    got, out_of = got[has], out_of[has]
    score = (200 * got + out_of) // (2 * out_of)  # half up, in integers
    category = np.where(
        score <= profile.at_risk_max,
        "at_risk",
        np.where(score >= profile.successful_min, "successful", "neutral"),
    )
    out = pd.DataFrame({"id": base["id"].to_numpy()[has], "score": score, "category": category})
    return out.sort_values("id", ignore_index=True)

"""What health scores add up to: summary figures, backtests and exports (SUM-5, HS-9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from cs_core import filters, snapshot
from cs_core.health.profiles import Profile
from cs_core.records import list_properties
from cs_core.settings import get_customer_settings
from cs_core.sql import col, ident

CATEGORIES = ("at_risk", "neutral", "successful")
CATEGORY_LABELS = {"at_risk": "At risk", "neutral": "Neutral", "successful": "Successful"}
_CHECK_DAY = date(2000, 1, 1)  # filters here compare no dates


def round_half_up(numerator: int, denominator: int, places: int = 1) -> float:
    """numerator / denominator rounded half up to ``places`` decimals, in exact integer arithmetic
    (the spec's one rounding rule, for averages and percentages alike)."""
    scale = 10**places
    return ((2 * scale * numerator + denominator) // (2 * denominator)) / scale


def _in_effect(alias: str, low: str, high: str) -> tuple[str, str, str]:
    """SQL for the score, category and "overridden" of a current-score row as in effect on a day
    (each takes that day as its one parameter; low/high are the thresholds' SQL)."""
    active = f"coalesce({alias}.override_until >= ?, FALSE)"
    score = f"CASE WHEN {active} THEN {alias}.override_score ELSE {alias}.score END"
    category = (f"CASE WHEN NOT {active} THEN {alias}.category WHEN {alias}.override_score <= {low} THEN 'at_risk' "
                f"WHEN {alias}.override_score >= {high} THEN 'successful' ELSE 'neutral' END")  # fmt: skip
    return score, category, active


def in_effect_sql(
    *, day: date, profile: Profile | None = None, within: str | None = None,
    live_of: str | None = None,
) -> tuple[str, list]:  # fmt: skip
    """Current scores as in effect on ``day`` (of one profile, or of all): a manual override
    active that day (HS-8) replaces the computed score and takes its category from the
    profile's thresholds. (Each current score carries its active override, kept by the
    override writes and the runs, so this is one scan.)

    Columns: profile_id, record_id, score_date, score, category, computed_score,
    computed_category, overridden, and profile_name with ``live_of``. ``within`` (SQL listing
    record ids) reads only those records' scores (filtered before anything is joined or
    computed); ``live_of`` (an object name) keeps the scores of that object's live profiles.
    """
    only = f"c.record_id IN ({within})" if within is not None else None
    name = ""
    if profile is not None:  # thresholds as parameters: no join with the profiles
        if live_of is not None:
            raise ValueError("in_effect_sql takes a profile or live_of, not both")
        score, category, active = _in_effect("c", "?", "?")
        source, where = "FROM health_current c", "WHERE c.profile_id = ?"
        params = [day, day, profile.at_risk_max, profile.successful_min, day, profile.id]
    else:
        score, category, active = _in_effect(
            "c", "CAST(json_extract(p.definition, '$.thresholds.at_risk_max') AS INTEGER)",
            "CAST(json_extract(p.definition, '$.thresholds.successful_min') AS INTEGER)",
        )  # fmt: skip
        source, where = "FROM health_current c JOIN health_profiles p ON p.id = c.profile_id", ""
        params = [day, day, day]
        if live_of is not None:  # one join with the profiles serves the filter and the names
            source += " AND p.status = 'live' AND p.object = ?"
            params.append(live_of)
            name = ", p.name AS profile_name"
    if only:
        where = f"{where} AND {only}" if where else f"WHERE {only}"
    return (
        f"SELECT c.profile_id, c.record_id, c.score_date, {score} AS score, {category} AS category, "
        f"c.score AS computed_score, c.category AS computed_category, {active} AS overridden{name} "
        f"{source} {where}",
        params,
    )


def scored_count(con: duckdb.DuckDBPyConnection, profile_id: int) -> int:
    """How many records the profile scores now."""
    return con.execute(
        "SELECT count(*) FROM health_current WHERE profile_id = ?", [profile_id]
    ).fetchone()[0]


def is_scored(con: duckdb.DuckDBPyConnection, profile_id: int) -> bool:
    """Whether the profile has current scores."""
    return (
        con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM health_current WHERE profile_id = ? LIMIT 1)",
            [profile_id],
        ).fetchone()[0]
        > 0
    )


def current_scores(con: duckdb.DuckDBPyConnection, profile: Profile, *, owner_id: int | None = None,
                   score_date: date | None = None, in_effect_on: date | None = None,
                   since: date | None = None) -> tuple[str, list]:  # fmt: skip
    """SQL (record_id, score, category) for the profile's current computed scores, those in
    effect on a day (``in_effect_on``: overrides applied), a past date's run (``score_date``),
    or (score_date, record_id, score, category) of every run from ``since`` on; optionally of
    one owner's records."""
    if score_date or since:
        day = "h.score_date, " if since else ""
        sql, params = f"SELECT {day}h.record_id, h.score, h.category FROM health_scores h", []
    elif in_effect_on is not None:
        score, category, _ = _in_effect("h", "?", "?")
        sql = f"SELECT h.record_id, {score} AS score, {category} AS category FROM health_current h"
        params = [in_effect_on, in_effect_on, profile.at_risk_max, profile.successful_min]
    else:
        sql, params = "SELECT h.record_id, h.score, h.category FROM health_current h", []
    if owner_id is not None:
        owner = get_customer_settings(con).owner_property
        sql += f" JOIN {ident(profile.object)} r ON r.id = h.record_id AND {col('r', owner)} = ?"
        params.append(owner_id)
    sql += " WHERE h.profile_id = ?"
    params.append(profile.id)
    if score_date or since:
        sql += " AND h.score_date >= ?" if since else " AND h.score_date = ?"
        params.append(since or score_date)
    return sql, params


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None
    categories: dict[str, tuple[int, float]]  # category -> (count, percent)
    distribution: list[int]  # ten buckets: 0-9, 10-19, ..., 90-100

    def to_json(self) -> dict:
        return {
            "average": self.average, "count": self.count,
            **{c: {"count": n, "percent": p} for c, (n, p) in self.categories.items()},
            "distribution": self.distribution,
        }  # fmt: skip


def summary(con: duckdb.DuckDBPyConnection, profile: Profile, *, day: date, owner_id: int | None = None,
            history: bool = False) -> Summary:  # fmt: skip
    """Average score and percent per category (both one decimal, rounded half up), count per
    category, 10-point distribution: of the scores in effect on ``day`` (overrides applied),
    or, with ``history``, of the computed scores of that day's run."""
    sql, params = current_scores(con, profile, owner_id=owner_id, score_date=day if history else None,
                                 in_effect_on=None if history else day)  # fmt: skip
    row = con.execute(
        f"""SELECT count(*), CAST(sum(score) AS BIGINT),
               count(*) FILTER (WHERE category = 'at_risk'), count(*) FILTER (WHERE category = 'neutral'),
               count(*) FILTER (WHERE category = 'successful'),
               histogram(least(CAST(score AS INTEGER) // 10, 9)) FROM ({sql})""",
        params,
    ).fetchone()  # fmt: skip
    count = row[0]
    cats = {
        c: (n, round_half_up(100 * n, count) if count else 0.0)
        for c, n in zip(CATEGORIES, row[2:5], strict=True)
    }
    buckets = [0] * 10  # counted in the query (a row per bucket, not per score)
    for b, n in (row[5] or {}).items():
        buckets[int(b)] = int(n)
    return Summary(count, round_half_up(row[1], count) if count else None, cats, buckets)


def average_by_day(con: duckdb.DuckDBPyConnection, profile: Profile, *, since: date,
                   owner_id: int | None = None) -> list[tuple[date, float, int]]:  # fmt: skip
    """(score date, average computed score rounded half up to one decimal, records scored) of
    every stored run of the profile from ``since`` on, optionally over one owner's records: the
    history behind the "average score over time" chart (SUM-6). Overrides are not history."""
    sql, params = current_scores(con, profile, owner_id=owner_id, since=since)
    rows = con.execute(
        f"SELECT score_date, CAST(sum(score) AS BIGINT), count(*) FROM ({sql}) GROUP BY score_date "
        "ORDER BY score_date",
        params,
    ).fetchall()  # fmt: skip
    return [(day, round_half_up(total, n), int(n)) for day, total, n in rows]


@dataclass(frozen=True)
class Backtest:
    records: int
    churned: int
    auc: float | None
    churn_rate: dict[str, float | None]
    precision: float | None
    recall: float | None

    def to_json(self) -> dict:
        return {"records": self.records, "churned": self.churned, "auc": self.auc, "churn_rate": self.churn_rate,
                "precision": self.precision, "recall": self.recall}  # fmt: skip


def backtest(con: duckdb.DuckDBPyConnection, profile: Profile, *, outcome_property: str, churned_value,
             score_date: date | None = None) -> Backtest:  # fmt: skip
    """How well the scores separate churned records from the others (HS-9)."""
    props = {p.name: p for p in list_properties(con, profile.object)}
    churned = filters.compile_filter([[{"property": outcome_property, "operator": "eq", "value": churned_value}]],
                                     props, today=_CHECK_DAY, alias="r")  # fmt: skip
    sql, params = current_scores(con, profile, score_date=score_date)
    frame = con.execute(
        f"SELECT s.score, s.category, coalesce({churned.sql}, FALSE) AS churned FROM {ident(profile.object)} r "
        f"JOIN ({sql}) s ON r.id = s.record_id",
        [*churned.params, *params],
    ).df()
    return _backtest(frame)


def _backtest(frame: pd.DataFrame) -> Backtest:
    n = len(frame)
    positives = int(frame["churned"].sum())
    negatives = n - positives
    rates = {}
    for c in CATEGORIES:
        part = frame[frame["category"] == c]
        rates[c] = round(float(part["churned"].mean()), 4) if len(part) else None
    auc = None
    if positives and negatives:
        # ROC AUC of (100 - score) as a churn predictor; ties count one half (average ranks).
        ranks = (100 - frame["score"]).rank(method="average")
        auc = round(
            float(
                (ranks[frame["churned"]].sum() - positives * (positives + 1) / 2)
                / (positives * negatives)
            ),
            4,
        )
    flagged = frame["category"] == "at_risk"
    hits = int((flagged & frame["churned"]).sum())
    precision = round(hits / int(flagged.sum()), 4) if flagged.any() else None
    recall = round(hits / positives, 4) if positives else None
    return Backtest(n, positives, auc, rates, precision, recall)


def export(con: duckdb.DuckDBPyConnection, profile: Profile) -> pd.DataFrame:
    """record_id, external_id, score, category: one row per scored record of the latest run."""
    sql, params = current_scores(con, profile)
    return con.execute(
        f"SELECT s.record_id, x.external_id, CAST(s.score AS INTEGER) AS score, s.category FROM ({sql}) s "
        # One id per record: a survivor of a merge holds its own and the merged record's.
        "LEFT JOIN (SELECT record_id, min(external_id) AS external_id FROM record_external_ids WHERE object = ? "
        "GROUP BY record_id) x ON x.record_id = s.record_id ORDER BY s.record_id",
        [*params, profile.object],
    ).df()


def current_health_sql(
    object_name: str, *, day: date, within: str | None = None
) -> tuple[str, list]:
    """Each record's score and category in effect on ``day`` from its object's live profiles
    (the lowest profile id wins where two live profiles score one record); ``within``, SQL
    listing record ids, limits it to those records (a page's rows)."""
    effect, params = in_effect_sql(day=day, within=within, live_of=object_name)
    return (
        f"""
        SELECT record_id, arg_min(score, profile_id) AS score, arg_min(category, profile_id) AS category,
               arg_min(profile_name, profile_id) AS profile_name
        FROM ({effect})
        GROUP BY record_id
        """,
        params,
    )  # fmt: skip


def live_profile_count(con: duckdb.DuckDBPyConnection, object_name: str) -> int:
    def read() -> int:
        return con.execute("SELECT count(*) FROM health_profiles WHERE status = 'live' AND object = ?",
                           [object_name]).fetchone()[0]  # fmt: skip

    return snapshot.shared(con, "live profiles", (object_name,), ("health_profiles",), read)


def has_live_profile(con: duckdb.DuckDBPyConnection, object_name: str) -> bool:
    return bool(live_profile_count(con, object_name))


@dataclass(frozen=True)
class PublishCheck:
    """What publishing a profile would do (HS-4), for the confirmation before it goes live."""

    records: int  # records it would score
    categories: dict[str, int]  # at_risk / neutral / successful -> records
    overlap: int  # of them, records another live profile of the object already scores
    overlap_profiles: tuple[str, ...]
    no_data: int  # of them, records with no data for any of its groups

    @property
    def mostly_without_data(self) -> bool:
        return self.records > 0 and self.no_data * 2 > self.records


def publish_check(con: duckdb.DuckDBPyConnection, profile: Profile, *, day: date) -> PublishCheck:
    """Score ``profile`` (a draft, or a live profile's new rules) without storing anything and
    compare it with the other live profiles of its object."""
    from cs_core.health import engine

    frame = engine.compute(con, profile, score_date=day)
    counts = frame["category"].value_counts() if len(frame) else pd.Series(dtype=int)
    included = [c for c in frame.columns if c.startswith("i") and c[1:].isdigit()]
    no_data = (
        int((~frame[included].astype(bool).any(axis=1)).sum()) if included and len(frame) else 0
    )
    others = con.execute(
        "SELECT p.name, list(c.record_id) FROM health_current c JOIN health_profiles p ON p.id = c.profile_id "
        "WHERE p.status = 'live' AND p.object = ? AND lower(p.name) <> lower(?) GROUP BY p.name ORDER BY p.name",
        [profile.object, profile.name],
    ).fetchall()  # fmt: skip
    mine = set(frame["id"].tolist()) if len(frame) else set()
    shared, names = set(), []
    for name, ids in others:
        both = mine & set(ids)
        if both:
            shared |= both
            names.append(name)
    return PublishCheck(
        records=len(frame),
        categories={c: int(counts.get(c, 0)) for c in CATEGORIES},
        overlap=len(shared),
        overlap_profiles=tuple(names),
        no_data=no_data,
    )

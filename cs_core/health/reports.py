"""What health scores add up to: summary figures, backtests and exports (SUM-5, HS-9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from cs_core import filters
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


def in_effect_sql(*, day: date, profile: Profile | None = None) -> tuple[str, list]:
    """Current scores as in effect on ``day`` (of one profile, or of all): a manual override
    active that day (HS-8) replaces the computed score and takes its category from the
    profile's thresholds.

    Columns: profile_id, record_id, score_date, score, category, computed_score,
    computed_category, overridden.
    """
    if profile is not None:  # thresholds as parameters: no join with the profiles
        low, high, source = "?", "?", "FROM health_current c"
        where, params = (
            "WHERE c.profile_id = ?",
            [profile.at_risk_max, profile.successful_min, day, profile.id],
        )
    else:
        low = "CAST(json_extract(p.definition, '$.thresholds.at_risk_max') AS INTEGER)"
        high = "CAST(json_extract(p.definition, '$.thresholds.successful_min') AS INTEGER)"
        source = "FROM health_current c JOIN health_profiles p ON p.id = c.profile_id"
        where, params = "", [day]
    return (
        f"""
        SELECT c.profile_id, c.record_id, c.score_date, coalesce(o.score, c.score) AS score,
               CASE WHEN o.score IS NULL THEN c.category WHEN o.score <= {low} THEN 'at_risk'
                    WHEN o.score >= {high} THEN 'successful' ELSE 'neutral' END AS category,
               c.score AS computed_score, c.category AS computed_category, o.score IS NOT NULL AS overridden
        {source}
        LEFT JOIN health_overrides o ON o.profile_id = c.profile_id AND o.record_id = c.record_id
             AND o.removed_at IS NULL AND o.expires_on >= ?
        {where}
        """,
        params,
    )  # fmt: skip


def scored_count(con: duckdb.DuckDBPyConnection, profile_id: int) -> int:
    """How many records the profile scores now."""
    return con.execute(
        "SELECT count(*) FROM health_current WHERE profile_id = ?", [profile_id]
    ).fetchone()[0]


def has_overrides(con: duckdb.DuckDBPyConnection, profile_id: int, day: date) -> bool:
    """Whether any of the profile's scores is overridden on ``day`` (overrides are rare)."""
    return con.execute(
        "SELECT 1 FROM health_overrides WHERE profile_id = ? AND removed_at IS NULL AND expires_on >= ? "
        "LIMIT 1", [profile_id, day]).fetchone() is not None  # fmt: skip


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
                   score_date: date | None = None, in_effect_on: date | None = None) -> tuple[str, list]:  # fmt: skip
    """SQL (record_id, score, category) for the profile's current computed scores, those in
    effect on a day (``in_effect_on``: overrides applied, as :func:`in_effect_sql` does), or
    a past date's run (``score_date``); optionally of one owner's records."""
    table = "health_scores" if score_date else "health_current"
    if (
        in_effect_on is not None
        and not score_date
        and not has_overrides(con, profile.id, in_effect_on)
    ):
        in_effect_on = None  # nothing overridden: the computed scores are those in effect
    if in_effect_on is not None and not score_date:
        # The overrides join the rows already narrowed to the profile (and owner).
        select = ("h.record_id, coalesce(o.score, h.score) AS score, CASE WHEN o.score IS NULL THEN h.category "
                  "WHEN o.score <= ? THEN 'at_risk' WHEN o.score >= ? THEN 'successful' ELSE 'neutral' END "
                  "AS category")  # fmt: skip
        params: list = [profile.at_risk_max, profile.successful_min]
    else:
        select, params = "h.record_id, h.score, h.category", []
    sql = f"SELECT {select} FROM {table} h"
    if owner_id is not None:
        owner = get_customer_settings(con).owner_property
        sql += f" JOIN {ident(profile.object)} r ON r.id = h.record_id AND {col('r', owner)} = ?"
        params.append(owner_id)
    if in_effect_on is not None and not score_date:
        sql += (" LEFT JOIN health_overrides o ON o.profile_id = h.profile_id AND o.record_id = h.record_id "
                "AND o.removed_at IS NULL AND o.expires_on >= ?")  # fmt: skip
        params.append(in_effect_on)
    sql += " WHERE h.profile_id = ?"
    params.append(profile.id)
    if score_date:
        sql += " AND h.score_date = ?"
        params.append(score_date)
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
               list(least(CAST(score AS INTEGER) // 10, 9)) FROM ({sql})""",
        params,
    ).fetchone()  # fmt: skip
    count = row[0]
    cats = {
        c: (n, round_half_up(100 * n, count) if count else 0.0)
        for c, n in zip(CATEGORIES, row[2:5], strict=True)
    }
    buckets = [0] * 10
    for b in row[5] or []:
        buckets[b] += 1
    return Summary(count, round_half_up(row[1], count) if count else None, cats, buckets)


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


def current_health_sql(object_name: str, *, day: date) -> tuple[str, list]:
    """Each record's score and category in effect on ``day`` from its object's live profiles
    (the lowest profile id wins where two live profiles score one record)."""
    effect, params = in_effect_sql(day=day)
    return (
        f"""
        SELECT h.record_id, arg_min(h.score, h.profile_id) AS score, arg_min(h.category, h.profile_id) AS category
        FROM ({effect}) h
        JOIN health_profiles p ON p.id = h.profile_id AND p.status = 'live' AND p.object = ?
        GROUP BY h.record_id
        """,
        [*params, object_name],
    )  # fmt: skip


def has_live_profile(con: duckdb.DuckDBPyConnection, object_name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM health_profiles WHERE status = 'live' AND object = ?",
                            [object_name]).fetchone()[0])  # fmt: skip

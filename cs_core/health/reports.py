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

CATEGORIES = ("at_risk", "neutral", "successful")
CATEGORY_LABELS = {"at_risk": "At risk", "neutral": "Neutral", "successful": "Successful"}


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
                   score_date: date | None = None) -> tuple[str, list]:  # fmt: skip
    """SQL for the profile's current scores (or those of a past date's run), optionally of one
    owner's records."""
    table = "health_scores" if score_date else "health_current"
    sql = f"SELECT h.record_id, h.score, h.category FROM {table} h"
    params: list = []
    if owner_id is not None:
        owner = get_customer_settings(con).owner_property
        sql += f' JOIN "{profile.object}" r ON r.id = h.record_id AND r."{owner}" = ?'
        params.append(owner_id)
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


def summary(con: duckdb.DuckDBPyConnection, profile: Profile, *, owner_id: int | None = None,
            score_date: date | None = None) -> Summary:  # fmt: skip
    """Average score (one decimal), count and percent per category, 10-point distribution."""
    sql, params = current_scores(con, profile, owner_id=owner_id, score_date=score_date)
    row = con.execute(
        f"""SELECT count(*), round(avg(score), 1),
               count(*) FILTER (WHERE category = 'at_risk'), count(*) FILTER (WHERE category = 'neutral'),
               count(*) FILTER (WHERE category = 'successful'),
               list(least(CAST(score AS INTEGER) // 10, 9)) FROM ({sql})""",
        params,
    ).fetchone()  # fmt: skip
    count = row[0]
    cats = {
        c: (n, round(100.0 * n / count, 1) if count else 0.0)
        for c, n in zip(CATEGORIES, row[2:5], strict=True)
    }
    buckets = [0] * 10
    for b in row[5] or []:
        buckets[b] += 1
    return Summary(count, float(row[1]) if row[1] is not None else None, cats, buckets)


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
                                     props, today=date.today(), alias="r")  # fmt: skip
    sql, params = current_scores(con, profile, score_date=score_date)
    frame = con.execute(
        f'SELECT s.score, s.category, coalesce({churned.sql}, FALSE) AS churned FROM "{profile.object}" r '
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
        "LEFT JOIN record_external_ids x ON x.object = ? AND x.record_id = s.record_id ORDER BY s.record_id",
        [*params, profile.object],
    ).df()


def current_health_sql(object_name: str) -> tuple[str, list]:
    """Each record's current score and category from its object's live profiles (the lowest
    profile id wins where two live profiles score one record)."""
    return (
        """
        SELECT h.record_id, arg_min(h.score, h.profile_id) AS score, arg_min(h.category, h.profile_id) AS category
        FROM health_current h
        JOIN health_profiles p ON p.id = h.profile_id AND p.status = 'live' AND p.object = ?
        GROUP BY h.record_id
        """,
        [object_name],
    )


def has_live_profile(con: duckdb.DuckDBPyConnection, object_name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM health_profiles WHERE status = 'live' AND object = ?",
                            [object_name]).fetchone()[0])  # fmt: skip

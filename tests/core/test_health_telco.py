"""Health scores on real data: the Telco churn customers, scored, summarised and backtested."""

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from cs_core import db, health, imports
from cs_core.health import reports
from tests.conftest import ROOT

TELCO = ROOT / "tests" / "data" / "telco-customer-churn.csv"
DAY = date(2026, 11, 28)
PROFILE = {
    "name": "Telco", "object": "companies", "status": "live", "missing_data": "no_points",
    "thresholds": {"at_risk_max": 33, "successful_min": 67},
    "groups": [
        {"name": "Contract", "kind": "property", "max_points": 60, "rules": [
            {"when": [{"property": "contract", "operator": "eq", "value": "Two year"}], "points": 40},
            {"when": [{"property": "contract", "operator": "eq", "value": "One year"}], "points": 25},
            {"when": [{"property": "tenure", "operator": "gte", "value": 24},
                      {"property": "tech_support", "operator": "eq", "value": "Yes"}], "points": 20},
            {"when": [{"property": "payment_method", "operator": "eq", "value": "Electronic check"}], "points": -15},
        ]},
        {"name": "Services", "kind": "property", "max_points": 40, "rules": [
            {"when": [{"property": "online_security", "operator": "eq", "value": "Yes"}], "points": 15},
            {"when": [{"property": "tenure", "operator": "gte", "value": 12}], "points": 20},
            {"when": [{"property": "internet_service", "operator": "eq", "value": "Fiber optic"}], "points": -10},
            {"when": [{"property": "total_charges", "operator": "is_unknown"}], "points": 10},
        ]},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    con = db.open_workspace(str(tmp_path_factory.mktemp("telco") / "w.duckdb"))
    imports.import_file(
        con, TELCO, object_name="companies", actor=None, now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    profile = health.save_profile(con, actor=None, definition=PROFILE, now=datetime(2026, 11, 1))
    health.run(con, profile, score_date=DAY, now=datetime(2026, 11, 28, 6))
    yield con, profile
    con.close()


def by_customer(con, profile) -> dict[str, tuple[int, str]]:
    frame = reports.export(con, profile)
    return {r.external_id: (r.score, r.category) for r in frame.itertuples()}


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ("7590-VHVEG", (0, "at_risk")),  # month-to-month, e-check: -15 -> 0; nothing in services
        ("5575-GNVDE", (60, "neutral")),  # one year 25; security 15 + tenure 34 20
        ("3668-QPYBK", (15, "at_risk")),  # only online security
        ("7795-CFOCW", (80, "successful")),  # one year 25 + tenure 45 with tech support 20; 15 + 20
        ("9237-HQITU", (0, "at_risk")),  # e-check -15 -> 0; fiber -10 -> 0
        ("6388-TABGU", (60, "neutral")),  # one year 25 (no tech support); 15 + 20
        ("4472-LVYGI", (65, "neutral")),  # two year 40; security 15 + blank total charges 10
    ],
)  # fmt: skip
def test_named_customers_score_as_computed_by_hand(scored, customer, expected):
    con, profile = scored
    assert by_customer(con, profile)[customer] == expected


def _reference(frame: pd.DataFrame) -> pd.Series:
    """A straightforward pandas reading of the same profile, to check every score."""
    tenure = frame["tenure"].astype(int)
    g0 = (40 * (frame["Contract"] == "Two year") + 25 * (frame["Contract"] == "One year")
          + 20 * ((tenure >= 24) & (frame["TechSupport"] == "Yes"))
          - 15 * (frame["PaymentMethod"] == "Electronic check")).clip(0, 60)  # fmt: skip
    g1 = (15 * (frame["OnlineSecurity"] == "Yes") + 20 * (tenure >= 12)
          - 10 * (frame["InternetService"] == "Fiber optic")
          + 10 * (frame["TotalCharges"].str.strip() == "")).clip(0, 40)  # fmt: skip
    return pd.Series(np.floor(g0 + g1 + 0.5).astype(int).values, index=frame["customerID"])


def test_every_customer_is_scored_and_matches_a_plain_implementation(scored):
    con, profile = scored
    frame = pd.read_csv(TELCO, dtype=str, keep_default_na=False)
    expected = _reference(frame)
    got = reports.export(con, profile).set_index("external_id")["score"]
    assert len(got) == 7043
    assert (got.sort_index() == expected.sort_index()).all()
    counts = pd.cut(
        expected, [-1, 33, 66, 100], labels=["at_risk", "neutral", "successful"]
    ).value_counts()
    summary = reports.summary(con, profile, day=DAY)
    assert summary.count == 7043
    assert {c: n for c, (n, _) in summary.categories.items()} == counts.to_dict()
    assert summary.categories == {
        "at_risk": (3814, 54.2),
        "neutral": (2194, 31.2),
        "successful": (1035, 14.7),
    }
    assert summary.average == round(expected.mean(), 1)
    assert sum(summary.distribution) == 7043
    assert summary.distribution[0] == int((expected < 10).sum())


def test_the_backtest_separates_churned_customers(scored):
    con, profile = scored
    result = reports.backtest(con, profile, outcome_property="churn", churned_value="Yes")
    assert (result.records, result.churned) == (7043, 1869)
    assert result.auc > 0.75
    assert (
        result.churn_rate["at_risk"]
        > result.churn_rate["neutral"]
        > result.churn_rate["successful"]
    )
    at_risk = reports.summary(con, profile, day=DAY).categories["at_risk"][0]
    churned_at_risk = round(result.precision * at_risk)
    assert result.recall == round(churned_at_risk / 1869, 4)

"""Manual overrides (HS-8): a reason and an expiry; the computed score stays."""

from datetime import date, timedelta

import pytest

from cs_core.health import overrides
from cs_core.health.overrides import OverrideRefused
from cs_core.users import PermissionDenied
from tests.conftest import CSM, NO_ACCESS, NOW


def test_an_override_lasts_until_its_expiry_and_keeps_the_computed_score(demo_con, user):
    profile_id = demo_con.execute("SELECT id FROM health_profiles WHERE name = 'SMB'").fetchone()[0]
    record = demo_con.execute("SELECT min(id) FROM companies WHERE segment = 'SMB'").fetchone()[0]
    computed = demo_con.execute("SELECT score FROM health_scores WHERE profile_id = ? AND record_id = ? "
                                "AND score_date = ?", [profile_id, record, NOW.date()]).fetchone()[0]  # fmt: skip
    until = NOW.date() + timedelta(days=30)
    o = overrides.set_override(demo_con, actor=user(CSM), profile_id=profile_id, record_id=record, score=85,
                               reason="Exec sponsor confirmed renewal", expires_on=until, now=NOW)  # fmt: skip
    assert (o.score, o.reason, o.expires_on, o.by) == (
        85,
        "Exec sponsor confirmed renewal",
        until,
        "Lucas Fischer",
    )
    assert overrides.active_override(
        demo_con, profile_id=profile_id, record_id=record, now=NOW + timedelta(days=30)
    )
    assert overrides.active_override(demo_con, profile_id=profile_id, record_id=record,
                                     now=NOW + timedelta(days=31)) is None  # fmt: skip
    assert demo_con.execute("SELECT score FROM health_scores WHERE profile_id = ? AND record_id = ? "
                            "AND score_date = ?", [profile_id, record, NOW.date()]).fetchone()[0] == computed  # fmt: skip
    overrides.remove_override(
        demo_con, actor=user(CSM), profile_id=profile_id, record_id=record, now=NOW
    )
    assert (
        overrides.active_override(demo_con, profile_id=profile_id, record_id=record, now=NOW)
        is None
    )


@pytest.mark.parametrize(
    ("score", "reason", "days", "message"),
    [(101, "x", 5, "whole number from 0 to 100"), (50, "  ", 5, "Say why"), (50, "x", 0, "ends after today"),
     (50, "x", 400, "within 365 days")],
)  # fmt: skip
def test_bad_overrides_are_refused(demo_con, user, score, reason, days, message):
    with pytest.raises(OverrideRefused, match=message):
        overrides.set_override(demo_con, actor=user(CSM), profile_id=1, record_id=1, score=score, reason=reason,
                               expires_on=NOW.date() + timedelta(days=days), now=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        overrides.set_override(demo_con, actor=user(NO_ACCESS), profile_id=1, record_id=1, score=50, reason="x",
                               expires_on=date(2026, 12, 5), now=NOW)  # fmt: skip

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


def test_alerts_follow_the_category_in_effect(demo_con, user):
    """Found 3: an override that changes the category in effect raises the owner's alert;
    while it is in effect, a change of the computed category raises none."""
    from cs_core import db
    from cs_core.health import engine, profiles

    profile_id, record, category, owner = demo_con.execute(
        "SELECT c.profile_id, c.record_id, c.category, r.csm_id FROM health_current c "
        "JOIN health_profiles p ON p.id = c.profile_id AND p.name = 'SMB' JOIN companies r ON r.id = c.record_id "
        "WHERE c.category = 'at_risk' AND r.csm_id IS NOT NULL ORDER BY c.record_id LIMIT 1").fetchone()  # fmt: skip

    def alerts():
        return demo_con.execute("SELECT old_category, new_category, user_id FROM alerts WHERE record_id = ? "
                                "AND profile_id = ? ORDER BY id", [record, profile_id]).fetchall()  # fmt: skip

    before = alerts()
    overrides.set_override(demo_con, actor=user(CSM), profile_id=profile_id, record_id=record, score=90,
                           reason="Renewal signed", expires_on=NOW.date() + timedelta(days=30), now=NOW)  # fmt: skip
    assert alerts() == [*before, ("at_risk", "successful", owner)]
    # The computed score changes category under the override: no alert (the user still sees 90).
    db.write(demo_con, lambda cur: cur.execute("UPDATE companies SET nps = 10, open_tickets = 0 WHERE id = ?",
                                               [record]))  # fmt: skip
    profile = profiles.get_profile(demo_con, profile_id=profile_id)
    db.write(
        demo_con,
        lambda cur: engine.store(cur, profile, score_date=NOW.date(), now=NOW, record_id=record),
    )
    db.write(demo_con, lambda cur: engine.store(cur, profile, score_date=NOW.date(), now=NOW))
    assert len(alerts()) == len(before) + 1
    # Removing it brings the computed category back: an alert if that differs from 90's.
    computed = demo_con.execute("SELECT category FROM health_current WHERE profile_id = ? AND record_id = ?",
                                [profile_id, record]).fetchone()[0]  # fmt: skip
    overrides.remove_override(
        demo_con, actor=user(CSM), profile_id=profile_id, record_id=record, now=NOW
    )
    expected = [] if computed == "successful" else [("successful", computed, owner)]
    assert alerts() == [*before, ("at_risk", "successful", owner), *expected]

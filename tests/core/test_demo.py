"""The demo workspace (DAT-1): deterministic, realistic, and alive relative to today."""

import re
from datetime import timedelta

import pytest

from cs_core import db, demo, tasks, users
from tests.conftest import NOW

TABLES = ["users", "companies", "contacts", "deals", "subscriptions", "services", "tasks",
          "meetings", "activities", "sequence_enrollments", "property_history", "associations"]  # fmt: skip


def _fingerprint(con) -> dict[str, str]:
    """A hash of every row of each table, independent of the physical order."""
    return {
        t: con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {t} t").fetchone()
        for t in TABLES
    }


def test_demo_scale_has_the_promised_shape(demo_con):
    counts = {t: demo_con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert counts["users"] == 13  # the 12 of DEMO_USERS and the analyst
    assert demo_con.execute("SELECT count(*) FROM teams").fetchone()[0] == 3
    assert counts["companies"] == 400
    assert counts["contacts"] == 2_000
    assert counts["activities"] == 30_000
    assert counts["tasks"] == 1_500
    # One base line per customer, and the ledger's add-ons, cheaper renewals and returns.
    assert demo_con.execute(
        "SELECT count(DISTINCT to_id) FROM associations WHERE from_object = 'subscriptions'"
    ).fetchone() == (387,)
    assert counts["subscriptions"] > 387
    assert counts["deals"] > 100 and counts["services"] > 40 and counts["meetings"] > 300
    pipelines = demo_con.execute(
        "SELECT object, count(*) FROM pipelines GROUP BY object ORDER BY object"
    ).fetchall()
    assert pipelines == [("deals", 2), ("services", 2), ("subscriptions", 1)]
    used = demo_con.execute("SELECT count(DISTINCT pipeline_id) FROM deals").fetchone()[0]
    assert used == 2


def test_the_same_seed_and_day_give_the_same_workspace(demo_con, tmp_path):
    again = db.open_workspace(str(tmp_path / "again.duckdb"))
    demo.generate(again, scale="demo", seed=7, now=NOW)
    assert _fingerprint(again) == _fingerprint(demo_con)
    other = db.open_workspace(":memory:")
    demo.generate(other, scale="demo", seed=8, now=NOW)
    assert _fingerprint(other)["companies"] != _fingerprint(demo_con)["companies"]


def test_every_permission_combination_that_matters_is_present(demo_con):
    everyone = users.list_users(demo_con)
    assert any(u.is_super_admin and not u.has_service_seat for u in everyone)
    assert any(u.is_super_admin and u.has_service_seat for u in everyone)
    assert any(
        u.can_manage_settings and not u.is_super_admin and u.has_full_access for u in everyone
    )
    assert sum(u.role == "CSM" for u in everyone) >= 5
    assert any(u.has_workspace_access and not u.has_service_seat for u in everyone)
    assert any(
        u.has_service_seat and not u.has_workspace_access and not u.is_super_admin for u in everyone
    )
    assert len({u.team_name for u in everyone}) == 3


def test_names_look_real(demo_con):
    names = [r[0] for r in demo_con.execute("SELECT name FROM companies").fetchall()]
    assert not any(re.fullmatch(r"(Company|Account|Customer) ?\d+", n) for n in names)
    assert len(set(names)) > 390
    emails = demo_con.execute("SELECT email FROM contacts LIMIT 50").fetchall()
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+@[a-z]+\.example", e[0]) for e in emails)


def test_every_csm_has_a_live_workday(demo_con):
    for user in users.list_users(demo_con):
        if user.role not in ("CSM", "CS settings manager"):
            continue
        counts = tasks.task_counts(demo_con, user=user, now=NOW)
        assert counts.overdue > 0, user.name
        assert counts.due_today > 0, user.name
        assert counts.due_tomorrow > 0, user.name
        start, end = tasks.local_day_bounds(NOW, user.time_zone)
        meetings_today = demo_con.execute(
            "SELECT count(*) FROM meetings WHERE owner_id = ? AND start_at >= ? AND start_at < ?",
            [user.id, start - timedelta(hours=12), end + timedelta(hours=12)],
        ).fetchone()[0]
        assert meetings_today >= 2, user.name


def test_dates_are_relative_to_now(demo_con):
    naive_now = NOW.replace(tzinfo=None)
    first, last = demo_con.execute(
        "SELECT min(occurred_at), max(occurred_at) FROM activities"
    ).fetchone()
    assert naive_now - timedelta(days=181) <= first
    assert naive_now - timedelta(hours=2) <= last <= naive_now
    recent = demo_con.execute(
        "SELECT count(DISTINCT activity_type) FROM activities WHERE occurred_at >= ?",
        [naive_now - timedelta(days=3)],
    ).fetchone()[0]
    assert recent == 11
    renewing = demo_con.execute(
        "SELECT count(*) FROM companies WHERE renewal_date BETWEEN ?::DATE AND ?::DATE + 90",
        [NOW.date(), NOW.date()],
    ).fetchone()[0]
    assert 60 <= renewing <= 160
    week = demo_con.execute(
        "SELECT count(*) FROM meetings WHERE start_at BETWEEN ? AND ?",
        [naive_now, naive_now + timedelta(days=7)],
    ).fetchone()[0]
    assert week >= 30


def test_references_hold(demo_con):
    orphans = demo_con.execute(
        """
        SELECT (SELECT count(*) FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
                WHERE co.id IS NULL)
             + (SELECT count(*) FROM deals d LEFT JOIN stages s ON s.id = d.stage_id
                WHERE s.pipeline_id IS DISTINCT FROM d.pipeline_id)
             + (SELECT count(*) FROM activities a LEFT JOIN contacts c ON c.id = a.contact_id
                WHERE c.company_id IS DISTINCT FROM a.company_id)
             + (SELECT count(*) FROM companies co LEFT JOIN users u ON u.id = co.csm_id
                WHERE u.id IS NULL)
        """
    ).fetchone()[0]
    assert orphans == 0
    one_way = demo_con.execute(
        """
        SELECT count(*) FROM associations a LEFT JOIN associations b
          ON b.from_object = a.to_object AND b.from_id = a.to_id
         AND b.to_object = a.from_object AND b.to_id = a.from_id
        WHERE b.from_id IS NULL
        """
    ).fetchone()[0]
    assert one_way == 0


def test_owner_history_matches_current_owners(demo_con):
    """The latest csm_id change of each company is its current CSM (for CUS-1)."""
    mismatches = demo_con.execute(
        """
        SELECT count(*) FROM companies c JOIN (
            SELECT record_id, arg_max(new_value, changed_at) AS latest FROM property_history
            WHERE object = 'companies' AND property = 'csm_id' GROUP BY record_id
        ) h ON h.record_id = c.id
        WHERE h.latest <> c.csm_id::VARCHAR
        """
    ).fetchone()[0]
    assert mismatches == 0
    recent = demo_con.execute(
        "SELECT count(*) FROM property_history WHERE source = 'ui' AND changed_at >= ?",
        [NOW.replace(tzinfo=None) - timedelta(days=30)],
    ).fetchone()[0]
    assert recent > 5


def test_ids_continue_after_the_demo_rows(demo_con):
    assert list(db.write(demo_con, db.allocate_ids, "companies", 1)) == [401]


def test_a_workspace_with_data_is_not_overwritten(demo_con):
    with pytest.raises(ValueError, match="has data already"):
        demo.generate(demo_con, scale="demo", seed=1, now=NOW)
    assert demo_con.execute("SELECT count(*) FROM companies").fetchone()[0] == 400


def test_unknown_scale_is_refused(empty_con):
    with pytest.raises(ValueError, match="Unknown scale 'XL'; choose one of demo, S, M, L"):
        demo.generate(empty_con, scale="XL", seed=1, now=NOW)


def test_the_demo_has_two_live_profiles_with_half_a_year_of_history(demo_con):
    from cs_core.health import list_profiles, reports

    live = list_profiles(demo_con, live_only=True)
    assert [p.name for p in live] == ["Enterprise and Mid-Market", "SMB"]
    for p in live:
        first, last, dates = demo_con.execute(
            "SELECT min(score_date), max(score_date), count(DISTINCT score_date) FROM health_scores "
            "WHERE profile_id = ?", [p.id]).fetchone()  # fmt: skip
        assert last == NOW.date() and (last - first).days == 175 and dates == 32
        summary = reports.summary(demo_con, p, day=NOW.date())
        assert all(n > 10 for n, _ in summary.categories.values())  # every category is populated
    segments = demo_con.execute(
        "SELECT count(*) FROM companies WHERE segment IN ('Enterprise', 'Mid-Market', 'SMB')").fetchone()[0]  # fmt: skip
    scored_today = demo_con.execute(
        "SELECT count(*) FROM health_scores WHERE score_date = ?", [NOW.date()]
    ).fetchone()[0]
    assert scored_today == segments == 400
    assert (
        demo_con.execute(
            "SELECT count(*) FROM alerts WHERE expires_at > ?", [NOW.replace(tzinfo=None)]
        ).fetchone()[0]
        > 20
    )


def test_engagement_follows_health(demo_con):
    """Found 12: quiet accounts exist in plausible numbers, and they are the unhealthy ones."""
    total, quiet_30, quiet_90 = demo_con.execute(
        "SELECT count(*), count(*) FILTER (WHERE last_activity_at < ? - INTERVAL 30 DAY), "
        "count(*) FILTER (WHERE last_activity_at < ? - INTERVAL 90 DAY) FROM companies",
        [NOW.replace(tzinfo=None), NOW.replace(tzinfo=None)],
    ).fetchone()
    assert 0.10 <= quiet_30 / total <= 0.20 and quiet_90 > 0
    quiet_by_category = dict(demo_con.execute(
        "SELECT c.category, avg(date_diff('day', r.last_activity_at, ?)) FROM health_current c "
        "JOIN companies r ON r.id = c.record_id GROUP BY 1", [NOW.replace(tzinfo=None)]).fetchall())  # fmt: skip
    assert quiet_by_category["at_risk"] > 5 * quiet_by_category["successful"]
    assert quiet_by_category["at_risk"] > 20


def test_the_demo_ledger_has_every_retention_movement(demo_con):
    from datetime import date

    from cs_core import retention

    found = retention.retention(demo_con, source=retention.default_source(demo_con), grain="quarter",
                                first=date(2024, 10, 1), last=date(2026, 10, 1))  # fmt: skip
    assert (found.unassigned_lines, found.invalid_lines) == (0, 0)
    assert len(found.periods) == 8
    for movement in ("expansion", "contraction", "churned_arr", "new_arr"):
        assert any(getattr(p, movement) > 0 for p in found.periods), movement
    returned = demo_con.execute(
        "SELECT count(DISTINCT a.to_id) FROM subscriptions s JOIN associations a ON a.from_object = 'subscriptions' "
        "AND a.from_id = s.id WHERE s.name LIKE '%(returned)'").fetchone()[0]  # fmt: skip
    assert returned > 0


def test_accounts_that_churned_were_at_risk_months_before(demo_con):
    """The demo's former customers soured before they left, so a backtest of the scores of
    three months ago finds them: at-risk accounts churned more often than the others."""
    from datetime import timedelta

    from cs_core.health import list_profiles, reports

    for profile in list_profiles(demo_con, live_only=True):
        found = reports.backtest(demo_con, profile, outcome_property="lifecycle_stage",
                                 churned_value="Former customer", score_date=NOW.date() - timedelta(days=91))  # fmt: skip
        assert found.churned >= 10, profile.name
        rates = found.churn_rate
        assert rates["at_risk"] > rates["neutral"] >= (rates["successful"] or 0), (
            profile.name,
            rates,
        )
        assert found.auc > 0.65, (profile.name, found.auc)

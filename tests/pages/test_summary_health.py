"""The Summary's health panel (SUM-5, SUM-6): exact figures of a CSM's customers for the profile
shown, a profile dropdown remembered per user, the distribution and average-over-time charts
with version changes marked, and the empty states (no live profile, a seatless super admin)."""

import json
from datetime import timedelta

from cs_core import db
from cs_core.health import profiles
from tests.conftest import CSM, NOW, SEATLESS_ADMIN, SETTINGS_MANAGER, without_health_profiles
from tests.pages.conftest import metric_values, plain, scalar

P = "summary.health"
DAY = NOW.date()


def _in_effect(path, profile_name: str, owner: int):
    """(scored, sum of scores, at risk, neutral, successful) of the owner's customers by hand:
    an override active on DAY replaces the score and its category comes from the thresholds."""
    return scalar(path, """
        WITH p AS (SELECT id, CAST(json_extract(definition, '$.thresholds.at_risk_max') AS INT) AS lo,
                          CAST(json_extract(definition, '$.thresholds.successful_min') AS INT) AS hi
                   FROM health_profiles WHERE name = ?),
        s AS (SELECT CASE WHEN h.override_until >= ? THEN h.override_score ELSE h.score END AS score,
                     CASE WHEN h.override_until >= ? THEN (CASE WHEN h.override_score <= p.lo THEN 'at_risk'
                          WHEN h.override_score >= p.hi THEN 'successful' ELSE 'neutral' END)
                          ELSE h.category END AS category
              FROM health_current h JOIN p ON h.profile_id = p.id JOIN companies c ON c.id = h.record_id
              WHERE c.csm_id = ?)
        SELECT count(*), sum(score), count(*) FILTER (category = 'at_risk'),
               count(*) FILTER (category = 'neutral'), count(*) FILTER (category = 'successful') FROM s""",
        [profile_name, DAY, DAY, owner], row=True)  # fmt: skip


def _chart(at, name: str) -> dict:
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"{P}.{name}")]
    assert len(found) == 1, f"one {name} chart"
    return json.loads(found[0].proto.spec)


def _percent(n: int, total: int) -> str:
    return f"{int(1000 * n / total + 0.5) / 10:.1f}%"  # half up, as the spec rounds


def test_the_csms_figures_for_the_profile_scoring_most_of_them_and_the_choice_is_remembered(
    app, demo_path
):
    counts = {
        name: _in_effect(demo_path, name, CSM)[0] for name in ("SMB", "Enterprise and Mid-Market")
    }
    most = max(
        counts, key=lambda n: (counts[n], n == "Enterprise and Mid-Market")
    )  # a tie: name order
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key=f"{P}.profile.{CSM}.{CSM}")
    assert [o.split(" · ")[0] for o in box.options] == ["Enterprise and Mid-Market", "SMB"]
    assert box.options[box.index] == f"{most} · {counts[most]:,} of your customers"
    for name in (most, ({"SMB", "Enterprise and Mid-Market"} - {most}).pop()):
        if name != most:
            box.set_value(next(o for o in box.options if o.startswith(name))).run()
        assert not at.exception, [e.value for e in at.exception]
        n, total, *cats = _in_effect(demo_path, name, CSM)
        shown = metric_values(at)
        assert shown["Average score"] == f"{int(10 * total / n + 0.5) / 10:.1f}"
        assert [shown[k] for k in ("At risk", "Neutral", "Successful")] == [
            _percent(c, n) for c in cats
        ]
        links = [(e.proto.label, e.proto.query_string) for e in at.get("page_link")
                 if e.proto.query_string.startswith("health=")]  # fmt: skip
        assert links == [(f"{c:,} customers", f"health={k}&profile={name.replace(' ', '+')}")
                         for c, k in zip(cats, ("at_risk", "neutral", "successful"), strict=True)]  # fmt: skip
        bars = _chart(at, "distribution")["data"][0]
        assert sum(bars["y"]) == n and len(bars["y"]) == 10
    other = name
    assert scalar(demo_path, "SELECT p.name FROM summary_preferences s JOIN health_profiles p "
                             "ON p.id = s.health_profile_id WHERE s.user_id = ?", [CSM]) == other  # fmt: skip
    again = app(CSM)  # a new session: the choice is remembered
    box = again.selectbox(key=f"{P}.profile.{CSM}.{CSM}")
    assert box.options[box.index].startswith(other)


def test_the_average_over_time_is_the_daily_runs_with_a_new_version_marked(app, demo_path):
    con = db.shared_workspace(demo_path).cursor()
    smb = profiles.get_profile(con, name="SMB")
    changed = json.loads(json.dumps(smb.definition))
    changed["thresholds"]["successful_min"] += 1
    profiles.save_profile(con, actor=None, definition=changed, now=NOW - timedelta(days=3))
    runs = con.execute("""SELECT h.score_date, sum(h.score), count(*) FROM health_scores h JOIN companies c
                          ON c.id = h.record_id AND c.csm_id = ? WHERE h.profile_id = ? AND h.score_date >= ?
                          GROUP BY 1 ORDER BY 1""", [CSM, smb.id, DAY - timedelta(days=90)]).fetchall()  # fmt: skip
    at = app(CSM)
    at.selectbox(key=f"{P}.profile.{CSM}.{CSM}").set_value(smb.id).run()
    assert not at.exception, [e.value for e in at.exception]
    traces = _chart(at, "trend")["data"]
    line = next(t for t in traces if t["name"] == "Average score")
    assert line["x"] == [d.isoformat() for d, _, _ in runs]
    assert line["y"] == [int(10 * s / n + 0.5) / 10 for _, s, n in runs]
    assert len(runs) > 10
    marks = [t for t in traces if t["name"].startswith("Profile version")]
    assert [(t["name"], t["x"][0][:10]) for t in marks] == [
        ("Profile version 2", (NOW - timedelta(days=3)).date().isoformat())
    ]


def test_viewing_as_a_csm_does_not_change_the_csms_choice(app, demo_path):
    at = app(SETTINGS_MANAGER)
    at.selectbox(key=f"summary.view_as.{SETTINGS_MANAGER}").set_value(CSM).run()
    box = at.selectbox(key=f"{P}.profile.{SETTINGS_MANAGER}.{CSM}")
    assert box.options[box.index].endswith("of their customers")
    box.set_value(box.options[1 - box.index]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert scalar(demo_path, "SELECT count(*) FROM summary_preferences") == 0


def test_without_a_live_profile_the_panel_says_how_to_make_one(app, demo_path):
    without_health_profiles(db.shared_workspace(demo_path).cursor())
    at = app(SETTINGS_MANAGER)
    assert not at.exception, [e.value for e in at.exception]
    assert any("No health-score profile is live yet" in plain(i.value) for i in at.info)
    link = next(
        e.proto for e in at.get("page_link") if e.proto.label == "Create a health-score profile"
    )
    assert (link.page, link.query_string) == ("settings", "section=health")
    assert "Average score" not in metric_values(at) and not at.get("plotly_chart")
    csm = app(CSM)
    assert "A settings manager creates and publishes one in Settings, Health scores." in [
        plain(c.value) for c in csm.main.caption
    ]


def test_a_seatless_super_admin_gets_words_not_zeros(app):
    at = app(SEATLESS_ADMIN)
    assert not at.exception, [e.value for e in at.exception]
    assert any("You are a super admin without a service seat" in plain(i.value) for i in at.info)
    assert metric_values(at) == {}  # no "0 companies you own"
    assert "Reporting" in [plain(h.value) for h in at.subheader]
    assert at.selectbox(key=f"summary.view_as.{SEATLESS_ADMIN}")  # view as
    assert [e.proto.label for e in at.get("page_link") if e.proto.page == "settings"] == [
        "Workspace settings"
    ]
    at.selectbox(key=f"summary.view_as.{SEATLESS_ADMIN}").set_value(CSM).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Average score" in metric_values(at)  # the CSM's Summary, with figures

"""Health scores as a CS team reads them (issue: Customers and health UX): the score in effect
with an override, labels instead of codes, and what changed in words."""

from datetime import timedelta

from cs_core import db, users
from cs_core.health import overrides
from tests.conftest import CSM, NOW
from tests.pages.conftest import scalar

P = "customers"


def _smb_record(demo_path) -> tuple[int, int, int]:
    """(profile id, record id, computed score) of the first SMB company scored by 'SMB'."""
    return scalar(demo_path, """
        SELECT c.profile_id, c.record_id, CAST(c.score AS INTEGER) FROM health_current c
        JOIN health_profiles p ON p.id = c.profile_id AND p.name = 'SMB'
        JOIN companies r ON r.id = c.record_id AND r.csm_id = ?
        ORDER BY c.record_id LIMIT 1""", [CSM], row=True)  # fmt: skip


def _override(demo_path, profile_id, record, score, days=30):
    con = db.shared_workspace(demo_path)
    overrides.set_override(con, actor=users.get_user(con, CSM), profile_id=profile_id, record_id=record,
                           score=score, reason="Exec sponsor confirmed", expires_on=NOW.date() + timedelta(days=days),
                           now=NOW)  # fmt: skip


def test_an_override_is_the_score_in_effect_on_the_record_page_preview_and_table(app, demo_path):
    """Found 3: headline, preview line and the table's health columns show the override,
    marked, with the computed score beside it."""
    profile_id, record, computed = _smb_record(demo_path)
    forced = 95 if computed < 70 else 5
    _override(demo_path, profile_id, record, forced)
    at = app(CSM)
    at.query_params["record"] = str(record)
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    (headline,) = [m for m in at.metric if m.label.startswith("Health score")]
    assert (headline.label, headline.value) == ("Health score (overridden)", str(forced))
    category = "Successful" if forced == 95 else "At risk"
    assert any(
        f"[{category}]" in m.value and f"computed {computed}" in m.value for m in at.markdown
    )
    # The preview line and the table of the account's view.
    del at.query_params["record"]
    at.session_state[f"{P}.record_id"] = record
    at.run()
    line = next(m.value for m in at.markdown if m.value.startswith(f"**Health {forced}**"))
    assert f"[{category}]" in line and line.endswith(f"· overridden, computed {computed}")
    # The table's health columns (the listing the table shows, narrowed to this record).
    from cs_core import record_list

    query = record_list.Query("companies", [], ("name", "health_score", "health_category"))
    page = record_list.page(
        db.shared_workspace(demo_path), query, record_list.Viewer(CSM, NOW), size=100
    )
    rows = page.rows
    while record not in set(rows["id"]) and page.page < page.pages:
        page = record_list.page(db.shared_workspace(demo_path), query, record_list.Viewer(CSM, NOW),
                                number=page.page + 1, size=100)  # fmt: skip
        rows = page.rows
    shown = rows[rows["id"] == record]
    assert (int(shown["Health score"].iloc[0]), shown["Health category"].iloc[0]) == (
        forced,
        category,
    )


def test_health_columns_say_which_profile_they_show(app, demo_path):
    """Found 3: with several live profiles, a column names the profile a row's score is from."""
    live = scalar(
        demo_path,
        "SELECT count(*) FROM health_profiles WHERE status = 'live' AND object = 'companies'",
    )
    assert live >= 2
    at = app(CSM)
    at.switch_page("app_pages/customers.py").run()
    table = at.dataframe(key=f"{P}.table").value
    for record, shown in zip(table["id"].head(5), table["Health profile"].head(5), strict=True):
        expected = scalar(demo_path, "SELECT p.name FROM health_current c JOIN health_profiles p ON p.id = "
                                     "c.profile_id WHERE c.record_id = ? ORDER BY p.id LIMIT 1", [int(record)])  # fmt: skip
        assert shown == expected


def test_filters_show_category_labels_not_codes(app, demo_path):
    """Found 8: the category filter offers "At risk", and a described condition says it."""
    from cs_core import record_list
    from cs_core.filters import describe

    at = app(CSM)
    at.switch_page("app_pages/customers.py").run()
    at.session_state[f"{P}.advanced"] = True  # the user opens "Advanced filters"
    at.run()
    before = {s.key for s in at.selectbox if s.key and s.key.endswith(".prop")}
    at.button(key=f"{P}.add.0").click().run()
    (key,) = {s.key for s in at.selectbox if s.key and s.key.endswith(".prop")} - before
    key = key.removesuffix(".prop")
    at.selectbox(key=f"{key}.prop").set_value("health_category").run()
    assert at.selectbox(key=f"{key}.value.health_category.eq").options == [
        "At risk",
        "Neutral",
        "Successful",
    ]
    props = record_list.listing_properties(db.shared_workspace(demo_path), "companies")
    cond = {"property": "health_category", "operator": "in", "value": ["at_risk", "neutral"]}
    assert describe(cond, props) == "Health category is any of At risk, Neutral"


def test_what_changed_says_the_change_in_words(app, demo_path):
    """Found 15: the record page says +N / −N / no change and which rules changed."""
    profile_id, record, computed = _smb_record(demo_path)
    before = scalar(demo_path, "SELECT CAST(arg_max(score, score_date) AS INTEGER) FROM health_scores "
                               "WHERE profile_id = ? AND record_id = ? AND score_date < "
                               "(SELECT score_date FROM health_current WHERE profile_id = ? AND record_id = ?)",
                    [profile_id, record, profile_id, record])  # fmt: skip
    at = app(CSM)
    at.query_params["record"] = str(record)
    at.switch_page("app_pages/customers.py").run()
    words = "no change" if computed == before else f"{computed - before:+d}".replace("-", "\u2212")
    heading = [
        m.value
        for m in at.markdown
        if m.value.startswith("**What changed since the previous score**")
    ]
    assert heading and heading[0].startswith(f"**What changed since the previous score** ({words})")
    if computed == before:
        assert heading[0].endswith("No rule started or stopped matching.")
    (headline,) = [m for m in at.metric if m.label.startswith("Health score")]
    assert headline.proto.delta_description == "since the previous score"


def _health(history: list[tuple[str, int]], versions: list[tuple[int, str]]):
    from types import SimpleNamespace

    import pandas as pd

    frame = pd.DataFrame({"score_date": pd.to_datetime([d for d, _ in history]),
                          "score": [s for _, s in history]})  # fmt: skip
    profile = SimpleNamespace(at_risk_max=40, successful_min=70)
    return SimpleNamespace(profile=profile, history=frame,
                           versions=[(v, pd.Timestamp(t).to_pydatetime()) for v, t in versions])  # fmt: skip


def test_a_trend_of_one_score_is_a_point_on_a_week_of_days():
    """Found 6: days on the axis (no times), one point on a sensible range."""
    from datetime import date

    from ui.health_panel import trend

    fig = trend(_health([("2026-11-28", 62)], [(1, "2026-11-01 09:00")]))
    axis = fig.layout.xaxis
    assert (axis.type, axis.tickformat) == ("date", "%d %b %Y")
    assert [date.fromisoformat(str(d)[:10]) for d in axis.range] == [
        date(2026, 11, 24),
        date(2026, 12, 2),
    ]
    (score,) = [t for t in fig.data if t.name == "Score"]
    assert (
        list(score.x) == [date(2026, 11, 28)] and list(score.y) == [62] and "markers" in score.mode
    )
    assert fig.layout.showlegend is False  # one version: nothing to tell apart


def test_profile_version_changes_are_marked_and_named_in_the_legend():
    """Found 6 (HS-5): each new version is a dotted line with its name in the legend."""
    from datetime import date

    from ui.health_panel import trend

    fig = trend(_health([("2026-10-01", 50), ("2026-11-28", 70)],
                        [(1, "2026-09-01 08:00"), (2, "2026-10-20 16:30"), (3, "2026-11-10 07:00")]))  # fmt: skip
    lines = [t for t in fig.data if t.name.startswith("Profile version")]
    assert [(t.name, list(t.x)) for t in lines] == [
        ("Profile version 2", [date(2026, 10, 20)] * 2),
        ("Profile version 3", [date(2026, 11, 10)] * 2),
    ]
    assert fig.layout.showlegend is True and fig.layout.xaxis.range is None

"""The Customers tab in AppTest, by widget key: views, filters, preview, edit (CUS-1..CUS-8)."""

import pytest

from tests.conftest import CSM, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar

P = "customers"


def open_tab(app, user_id):
    at = app(user_id)
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    return at


def open_advanced(at, prefix: str = P):
    """The user opens the "Advanced filters" panel (its editor is built only while open)."""
    at.session_state[f"{prefix}.advanced"] = True
    return at.run()


def count_shown(at) -> int:
    line = next(m.value for m in at.markdown if m.value.startswith("**"))
    return int(line.split("**")[1].replace(",", ""))


def new_condition_keys(at, before: set[str]) -> str:
    """The key prefix of the condition the editor just added."""
    keys = {s.key for s in at.selectbox if s.key and s.key.endswith(".prop")}
    (added,) = keys - before
    return added.removesuffix(".prop")


def prop_keys(at) -> set[str]:
    return {s.key for s in at.selectbox if s.key and s.key.endswith(".prop")}


def set_condition(at, key: str, prop: str, value, op: str = "eq"):
    at.selectbox(key=f"{key}.prop").set_value(prop).run()
    at.selectbox(key=f"{key}.op.{prop}").set_value(op).run()
    widget = f"{key}.value.{prop}.{op}"
    if prop in ("segment", "industry", "plan"):
        at.selectbox(key=widget).set_value(value).run()
    else:
        at.text_input(key=widget).set_value(value).run()


def test_owned_by_me_lists_the_users_companies(app, demo_path):
    at = open_tab(app, CSM)
    assert at.title[0].value == "Owned by me"
    owned = scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM])
    assert count_shown(at) == owned
    table = at.dataframe(key=f"{P}.table").value
    assert list(table.columns)[:3] == ["id", "Company name", "Customer Success Manager"]
    assert set(table["Customer Success Manager"]) == {"Lucas Fischer"}
    assert len(table) == min(25, owned)


def test_create_a_private_view_with_two_filter_groups(app, demo_path):
    at = open_tab(app, CSM)
    open_advanced(at)
    # Group 1 (from "Owned by me"): owner is me, and segment is Enterprise.
    before = prop_keys(at)
    at.button(key=f"{P}.add.0").click().run()
    set_condition(at, new_condition_keys(at, before), "segment", "Enterprise")
    # Group 2: industry is Healthcare and more than 1,000 employees (anyone's).
    before = prop_keys(at)
    at.button(key=f"{P}.add_group").click().run()
    set_condition(at, new_condition_keys(at, before), "industry", "Healthcare")
    before = prop_keys(at)
    at.button(key=f"{P}.add.1").click().run()
    set_condition(at, new_condition_keys(at, before), "employees", "1000", op="gt")
    expected = scalar(
        demo_path,
        "SELECT count(*) FROM companies WHERE (csm_id = ? AND segment = 'Enterprise') "
        "OR (industry = 'Healthcare' AND employees > 1000)",
        [CSM],
    )
    assert count_shown(at) == expected
    # Save it as a private view; it keeps exactly these filters.
    at.button(key=f"{P}.create").click().run()
    at.text_input(key=f"{P}.new.name").set_value("Enterprise or big healthcare").run()
    assert at.radio(key=f"{P}.new.sharing").disabled  # a CSM cannot share with everyone
    at.button(key=f"{P}.new.save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Enterprise or big healthcare"
    assert count_shown(at) == expected
    stored = scalar(
        demo_path,
        "SELECT sharing || ' ' || filters FROM views WHERE name = 'Enterprise or big healthcare'",
    )
    assert stored.startswith("private [[")
    assert '"value": "Enterprise"' in stored and '"value": "1000"' in stored
    # A CSM sees no default-view controls.
    assert not any(b.key == f"{P}.default.set" for b in at.button)


def test_a_settings_manager_shares_a_view_and_sets_it_as_default(app, demo_path):
    at = open_tab(app, SETTINGS_MANAGER)
    at.button(key=f"{P}.create").click().run()
    at.text_input(key=f"{P}.new.name").set_value("Renewals this quarter").run()
    at.radio(key=f"{P}.new.sharing").set_value("everyone").run()
    at.button(key=f"{P}.new.save").click().run()
    view_id = scalar(demo_path, "SELECT id FROM views WHERE name = 'Renewals this quarter'")
    assert scalar(demo_path, "SELECT sharing FROM views WHERE id = ?", [view_id]) == "everyone"
    # Without a description it is refused, with one it becomes a default view.
    at.button(key=f"{P}.default.set").click().run()
    assert "Describe the default view" in at.error[0].value
    at.text_area(key=f"{P}.default.description.{view_id}").set_value(
        "Accounts renewing by March"
    ).run()
    at.button(key=f"{P}.default.set").click().run()
    assert not at.error
    row = scalar(
        demo_path,
        "SELECT is_default::VARCHAR || '|' || description FROM views WHERE id = ?",
        [view_id],
    )
    assert row == "true|Accounts renewing by March"
    # It is listed under default views for everyone, a CSM included.
    csm = open_tab(app, CSM)
    assert any(b.key == f"{P}.view.{view_id}" for b in csm.button)
    assert "Default views" in [c.value for c in csm.caption]


def test_deleting_a_view_needs_confirmation(app, demo_path):
    at = open_tab(app, CSM)
    at.button(key=f"{P}.create").click().run()
    at.text_input(key=f"{P}.new.name").set_value("Scratch").run()
    at.button(key=f"{P}.new.save").click().run()
    at.button(key=f"{P}.delete").click().run()
    assert "Delete the view “Scratch”?" in plain(at.warning[0].value)
    at.button(key=f"{P}.delete.cancel").click().run()
    assert scalar(demo_path, "SELECT count(*) FROM views WHERE name = 'Scratch'") == 1
    at.button(key=f"{P}.delete").click().run()
    at.button(key=f"{P}.delete.confirm").click().run()
    assert scalar(demo_path, "SELECT count(*) FROM views WHERE name = 'Scratch'") == 0
    assert at.title[0].value == "Owned by me"


def _select_first_row(at):
    at.session_state[f"{P}.table"] = {"selection": {"rows": [0], "columns": []}}
    return at.run()


def test_selecting_a_row_opens_its_preview(app, demo_path):
    at = open_tab(app, CSM)
    first_id = int(at.dataframe(key=f"{P}.table").value["id"].iloc[0])
    at = _select_first_row(at)
    name = scalar(demo_path, "SELECT name FROM companies WHERE id = ?", [first_id])
    assert plain(at.subheader[-1].value) == name
    assert at.session_state[f"{P}.record_id"] == first_id
    # Its health line: the current score and the change since the score before it.
    profile, score, before = scalar(demo_path, """
        SELECT p.name, CAST(c.score AS INTEGER), CAST((SELECT arg_max(h.score, h.score_date) FROM health_scores h
               WHERE h.profile_id = c.profile_id AND h.record_id = c.record_id AND h.score_date < c.score_date)
               AS INTEGER)
        FROM health_current c JOIN health_profiles p ON p.id = c.profile_id WHERE c.record_id = ?""",
        [first_id], row=True)  # fmt: skip
    line = f"**Health {score}**"
    shown = [m.value for m in at.markdown if m.value.startswith(line)]
    words = "no change" if score == before else f"{score - before:+d}".replace("-", "\u2212")
    assert len(shown) == 1 and shown[0].endswith(f"· {profile} ({words} since the previous score)")


@pytest.mark.parametrize(
    ("value", "message"),
    [("lots", "Latest NPS score must be a number; 'lots' is not one.")],
)
def test_an_edit_shows_at_once_and_a_bad_value_is_refused(app, demo_path, value, message):
    at = _select_first_row(open_tab(app, CSM))
    record_id = at.session_state[f"{P}.record_id"]
    before = scalar(demo_path, "SELECT nps FROM companies WHERE id = ?", [record_id])
    at.selectbox(key=f"{P}.edit.prop").set_value("nps").run()
    at.text_input(key=f"{P}.edit.value.{record_id}.nps").set_value(value).run()
    at.button(key=f"{P}.edit.save").click().run()
    assert plain(at.error[0].value) == message
    assert scalar(demo_path, "SELECT nps FROM companies WHERE id = ?", [record_id]) == before
    at.text_input(key=f"{P}.edit.value.{record_id}.nps").set_value("4").run()
    at.button(key=f"{P}.edit.save").click().run()
    assert [plain(t.value) for t in at.toast] == ["Latest NPS score saved."]
    assert scalar(demo_path, "SELECT nps FROM companies WHERE id = ?", [record_id]) == 4.0
    # The table shows the edit once NPS is a column.
    at.multiselect(key=f"{P}.columns").set_value(["name", "nps"]).run()
    table = at.dataframe(key=f"{P}.table").value
    assert table.loc[table["id"] == record_id, "Latest NPS score"].iloc[0] == 4.0
    # And the property history has it.
    history = scalar(
        demo_path,
        "SELECT new_value || ' by ' || changed_by || ' via ' || source FROM property_history "
        "WHERE object = 'companies' AND record_id = ? AND property = 'nps' ORDER BY changed_at DESC LIMIT 1",
        [record_id],
    )
    assert history == f"4 by {CSM} via ui"


def test_an_edit_of_a_value_changed_meanwhile_is_refused_and_the_input_kept(app, demo_path):
    at = _select_first_row(open_tab(app, CSM))
    record_id = at.session_state[f"{P}.record_id"]
    at.selectbox(key=f"{P}.edit.prop").set_value("nps").run()
    box = f"{P}.edit.value.{record_id}.nps"
    at.text_input(key=box).set_value("3").run()
    # Someone else saves 9 after this user's form appeared.
    from cs_core import clock, db, record_values, users

    cur = db.shared_workspace(demo_path).cursor()
    record_values.update_property(cur, actor=users.get_user(cur, SETTINGS_MANAGER), object_name="companies",
                                  record_id=record_id, property_name="nps", value="9", now=clock.now())  # fmt: skip
    at.button(key=f"{P}.edit.save").click().run()
    assert scalar(demo_path, "SELECT nps FROM companies WHERE id = ?", [record_id]) == 9.0
    assert "save again to replace theirs" in plain(at.error[0].value)
    assert at.text_input(key=box).value == "3" and not at.toast
    # Saving again, now that the user has seen theirs, replaces it.
    at.button(key=f"{P}.edit.save").click().run()
    assert [plain(t.value) for t in at.toast] == ["Latest NPS score saved."]
    assert scalar(demo_path, "SELECT nps FROM companies WHERE id = ?", [record_id]) == 3.0
    assert not at.error


def test_the_record_page_opens_by_deep_link(app, demo_path):
    at = app(CSM)
    at.query_params["record"] = "7"
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    assert plain(at.title[0].value) == scalar(demo_path, "SELECT name FROM companies WHERE id = 7")
    assert [t.label for t in at.tabs] == [
        "Properties",
        "Activity",
        "Associations",
        "History",
        "Health score",
    ]
    at.query_params["record"] = "99999"
    at.run()
    assert "There is no company with id 99999" in plain(at.warning[0].value)


@pytest.mark.parametrize(
    ("account_object", "owner", "label"),
    [("contacts", "owner_id", "Contacts"), ("licenses", "owner_id", "Licenses")],
)
def test_the_tab_follows_the_account_object_in_settings(
    app, demo_path, account_object, owner, label
):
    from cs_core import db, settings, users
    from cs_core.settings import CustomerSettings
    from tests.conftest import NOW

    con = db.open_workspace(str(demo_path))
    if account_object == "licenses":  # a custom object as the account object, with a few records
        from cs_core import records

        records.create_custom_object(con, actor=users.get_user(con, SETTINGS_MANAGER), name="licenses",
                                     label="License", label_plural="Licenses",
                                     properties=[{"name": "owner_id", "label": "License owner", "type": "user"}])  # fmt: skip
        con.execute("INSERT INTO licenses (id, name, owner_id, created_at, updated_at) "
                    "SELECT i, 'License ' || i, CASE WHEN i % 2 = 0 THEN ? ELSE 1 END, ?, ? FROM range(1, 9) t(i)",
                    [CSM, NOW.replace(tzinfo=None), NOW.replace(tzinfo=None)])  # fmt: skip
    settings.save_customer_settings(con, actor=users.get_user(con, SETTINGS_MANAGER), now=NOW,
                                    value=CustomerSettings(account_object, owner, None))  # fmt: skip
    con.close()
    at = open_tab(app, CSM)
    assert at.subheader[0].value == label
    assert count_shown(at) == scalar(
        demo_path, f"SELECT count(*) FROM {account_object} WHERE {owner} = ?", [CSM]
    )
    at = _select_first_row(at)
    assert not at.exception
    record_id = at.session_state[f"{P}.record_id"]
    assert at.subheader[-1].value  # the preview names the record
    assert record_id in at.dataframe(key=f"{P}.table").value["id"].tolist()


def test_a_half_written_condition_is_explained_and_the_rest_still_applies(app, demo_path):
    at = open_tab(app, CSM)
    open_advanced(at)
    before = prop_keys(at)
    at.button(key=f"{P}.add.0").click().run()
    key = new_condition_keys(at, before)
    at.selectbox(key=f"{key}.prop").set_value("employees").run()
    at.selectbox(key=f"{key}.op.employees").set_value("gt").run()
    assert "Not applied yet: Number of employees: enter a value to compare with." in plain(
        at.warning[0].value
    )
    owned = scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM])
    assert count_shown(at) == owned
    at.text_input(key=f"{key}.value.employees.gt").set_value("500").run()
    assert not at.warning
    big = scalar(
        demo_path, "SELECT count(*) FROM companies WHERE csm_id = ? AND employees > 500", [CSM]
    )
    assert count_shown(at) == big
    assert any(b.key == f"{P}.create" for b in at.button)  # the views column still shows


def test_the_table_shows_health_and_filters_on_its_category(app, demo_path):
    at = open_tab(app, CSM)
    table = at.dataframe(key=f"{P}.table").value
    assert {"Health score", "Health category"} <= set(table.columns)
    assert set(table["Health category"].dropna()) <= {"At risk", "Neutral", "Successful"}
    open_advanced(at)
    before = prop_keys(at)
    at.button(key=f"{P}.add.0").click().run()
    key = new_condition_keys(at, before)
    at.selectbox(key=f"{key}.prop").set_value("health_category").run()
    at.selectbox(key=f"{key}.value.health_category.eq").set_value("at_risk").run()
    expected = scalar(
        demo_path,
        "SELECT count(*) FROM companies c JOIN health_scores h ON h.record_id = c.id AND h.score_date = "
        "(SELECT max(score_date) FROM health_scores) WHERE c.csm_id = ? AND h.category = 'at_risk'",
        [CSM],
    )
    assert count_shown(at) == expected > 0
    assert set(at.dataframe(key=f"{P}.table").value["Health category"]) == {"At risk"}


def test_the_record_page_explains_the_health_score(app, demo_path):
    record = scalar(demo_path, "SELECT min(id) FROM companies WHERE segment = 'SMB'")
    at = app(CSM)
    at.query_params["record"] = str(record)
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    score = scalar(demo_path, "SELECT CAST(score AS INTEGER) FROM health_scores h JOIN health_profiles p "
                              "ON p.id = h.profile_id WHERE p.name = 'SMB' AND record_id = ? "
                              "ORDER BY score_date DESC LIMIT 1", [record])  # fmt: skip
    assert any(m.label == "Health score" and m.value == str(score) for m in at.metric)
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**Fit and sentiment**:") for t in texts)
    assert any(t.startswith("**Product engagement**:") for t in texts)
    assert len(at.get("plotly_chart")) == 1


def test_a_view_saves_its_quick_filters_and_switching_views_loads_them(app, demo_path):
    """Found 1: a quick filter on screen is part of the view (saved, reloaded, not carried over)."""
    at = open_tab(app, SETTINGS_MANAGER)
    at.selectbox(key=f"{P}.quick.last_activity_at").set_value("More than 30 days ago").run()
    quiet = scalar(
        demo_path,
        "SELECT count(*) FROM companies WHERE csm_id = ? AND last_activity_at < ?",
        [SETTINGS_MANAGER, "2026-10-29"],  # before the day 30 days before NOW (28 Nov)
    )
    assert count_shown(at) == quiet
    # A changed view says so, and offers save, save as new and reset.
    assert at.button(key=f"{P}.save").disabled  # a standard view is not changed in place
    assert "Unsaved changes" in at.container(key=f"{P}.unsaved").markdown[0].value
    at.button(key=f"{P}.save_as").click().run()
    at.text_input(key=f"{P}.new.name").set_value("Quiet accounts").run()
    at.radio(key=f"{P}.new.sharing").set_value("everyone").run()
    at.button(key=f"{P}.new.save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    view_id, stored = scalar(demo_path, "SELECT id, filters FROM views WHERE name = 'Quiet accounts'",
                             row=True)  # fmt: skip
    assert '"operator": "more_than_days_ago", "value": 30' in stored
    # Another view starts from its own filters: no quick filter carried over.
    standard = scalar(
        demo_path,
        "SELECT id FROM views WHERE standard_key = 'owned_by_me' AND object = 'companies'",
    )
    at.button(key=f"{P}.view.{standard}").click().run()
    assert at.selectbox(key=f"{P}.quick.last_activity_at").value == "Any time"
    assert count_shown(at) == scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?",
                                     [SETTINGS_MANAGER])  # fmt: skip
    assert not any(c.key == f"{P}.unsaved" for c in at.container)
    # Reopened, the saved view shows its quick filter in the box and the same rows.
    at.button(key=f"{P}.view.{view_id}").click().run()
    assert at.selectbox(key=f"{P}.quick.last_activity_at").value == "More than 30 days ago"
    assert count_shown(at) == scalar(
        demo_path, "SELECT count(*) FROM companies WHERE csm_id = ? AND last_activity_at < ?",
        [SETTINGS_MANAGER, "2026-10-29"])  # fmt: skip
    assert not any(c.key == f"{P}.unsaved" for c in at.container)
    # A change, then Reset: back to the saved filters.
    at.selectbox(key=f"{P}.quick.last_activity_at").set_value("Last 7 days").run()
    assert any(c.key == f"{P}.unsaved" for c in at.container)
    at.button(key=f"{P}.reset").click().run()
    assert at.selectbox(key=f"{P}.quick.last_activity_at").value == "More than 30 days ago"


def test_the_advanced_filter_panel_stays_open_while_conditions_are_added(app):
    """Found 2: adding conditions and groups does not close the panel (its state is kept)."""
    at = open_tab(app, CSM)
    (adv,) = [e for e in at.expander if e.proto.label == "Advanced filters"]
    assert adv.proto.expanded is False
    at.session_state[f"{P}.advanced"] = True  # the user opens it
    at.run()
    at.button(key=f"{P}.add.0").click().run()
    at.button(key=f"{P}.add_group").click().run()
    (adv,) = [e for e in at.expander if e.proto.label == "Advanced filters"]
    assert adv.proto.expanded is True and at.session_state[f"{P}.advanced"] is True
    assert not [c for c in at.caption if "advanced condition" in c.value]
    # Closed, it says what it holds: the standard view's condition and the two added.
    at.session_state[f"{P}.advanced"] = False
    at.run()
    assert "3 advanced conditions in 2 groups applied" in [c.value for c in at.caption]


def test_a_page_of_25_rows_shows_without_an_inner_scroll_box(app, monkeypatch):
    """Found 11: the table is as tall as its page."""
    import streamlit as st

    heights = []
    real = st.dataframe

    def spy(*args, **kwargs):
        if kwargs.get("key") == f"{P}.table":
            heights.append((len(args[0]) if args else len(kwargs["data"]), kwargs.get("height")))
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "dataframe", spy)
    at = open_tab(app, SETTINGS_MANAGER)
    rows, height = heights[-1]
    assert rows == min(25, count_shown(at)) and height == 38 + 35 * rows


def test_with_the_preview_open_the_views_move_into_a_menu_and_the_table_keeps_its_width(app):
    """Found 9: the table keeps most of the width; the views are one click away."""
    at = open_tab(app, CSM)
    assert not at.get("popover")
    at = _select_first_row(at)
    assert any(c.key == f"{P}.preview" for c in at.container)
    (menu,) = [
        p.proto.popover for p in at.get("popover") if p.proto.id.endswith(f"-{P}.views_menu")
    ]
    assert menu.label == "Views: Owned by me"
    share = at.columns[0].weight
    assert round(share, 3) == round(3.8 / 5.8, 3) and share > 0.6
    assert any(b.key == f"{P}.create" for b in at.button)  # inside the Views menu


def test_merging_shows_the_two_records_side_by_side_first(app, demo_path):
    """Found 14: before merging, both records and the result are shown; then the merge."""
    at = open_tab(app, CSM)
    first_id = int(at.dataframe(key=f"{P}.table").value["id"].iloc[0])
    at = _select_first_row(at)
    at.session_state[f"{P}.preview.merge"] = True  # the user opens "Merge with another record"
    at.run()
    other_id, other_name = scalar(demo_path, "SELECT id, name FROM companies WHERE id <> ? ORDER BY id LIMIT 1",
                                  [first_id], row=True)  # fmt: skip
    at.text_input(key=f"{P}.merge.search").set_value(other_name).run()
    at.selectbox(key=f"{P}.merge.other").set_value(other_id).run()
    (compare,) = [
        d.value for d in at.dataframe if list(d.value.columns)[-1:] == ["After the merge"]
    ]
    assert list(compare.columns)[0] == "Property" and list(compare.columns)[-1] == "After the merge"
    row = compare[compare["Property"] == "Company name"].iloc[0]
    first_name = scalar(demo_path, "SELECT name FROM companies WHERE id = ?", [first_id])
    assert (row.iloc[1], row.iloc[2], row["After the merge"]) == (
        first_name,
        other_name,
        first_name,
    )
    assert any("properties differ (highlighted)" in c.value for c in at.caption)
    assert at.button(key=f"{P}.merge.go").disabled  # confirmation first
    at.checkbox(key=f"{P}.merge.confirm").check().run()
    at.button(key=f"{P}.merge.go").click().run()
    assert not at.exception and not at.error
    assert scalar(demo_path, "SELECT count(*) FROM companies WHERE id = ?", [other_id]) == 0


def test_an_import_link_opens_customers_on_the_imported_records(app, demo_path):
    """Found 14: the import page links to its records; Customers shows them with a way back."""
    import pandas as pd

    from cs_core import db, imports
    from tests.conftest import NOW

    con = db.shared_workspace(demo_path)
    frame = pd.DataFrame(
        {
            "Company name": ["Zeta Imports", "Yotta Imports"],
            "Customer Success Manager": ["Lucas Fischer"] * 2,
        }
    )
    result = imports.run_import(con, frame, imports.suggest_mapping(con, frame, object_name="companies"),
                                object_name="companies", actor=None, now=NOW, file_name="new accounts.csv")  # fmt: skip
    at = app(CSM)
    at.query_params["import"] = str(result.run_id)
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    banner = plain(next(i.value for i in at.info if "imported from" in i.value))
    assert banner.startswith(
        "Showing the companies imported from **new accounts.csv** on 28 Nov 2026"
    )
    assert banner.endswith("(2 now).")
    assert count_shown(at) == 2
    assert sorted(at.dataframe(key=f"{P}.table").value["Company name"]) == [
        "Yotta Imports",
        "Zeta Imports",
    ]
    at.button(key=f"{P}.import.clear").click().run()
    assert count_shown(at) == scalar(
        demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM]
    )


def test_a_closed_preview_leaves_no_row_ticked_for_the_next_view(app, demo_path):
    """Closing the preview unticks its row; another view opens without a preview."""
    at = open_tab(app, CSM)
    at = _select_first_row(at)
    assert at.session_state[f"{P}.record_id"] is not None
    at.button(key=f"{P}.preview.close").click().run()
    assert at.session_state[f"{P}.record_id"] is None
    assert not at.session_state[f"{P}.table"]["selection"]["rows"]
    other = scalar(
        demo_path,
        "SELECT id FROM views WHERE standard_key = 'assigned_recently' AND object = 'companies'",
    )
    at = _select_first_row(at)
    at.session_state[f"{P}.view_id"] = other
    at.run()
    assert at.session_state[f"{P}.record_id"] is None
    assert not any(c.key == f"{P}.preview" for c in at.container)


def test_opening_a_view_takes_one_run_of_the_page(app, demo_path, monkeypatch, tmp_path):
    """A click on a view opens it in that click's run (each run is a line of the app's timing
    log), not in a second run after it: under a team's load every run waits its turn."""
    log = tmp_path / "runs.log"
    monkeypatch.setenv("CS_TIMING_LOG", str(log))
    at = open_tab(app, CSM)
    standard = scalar(
        demo_path,
        "SELECT id FROM views WHERE standard_key = 'owned_by_me' AND object = 'companies'",
    )
    before = len(log.read_text().splitlines())
    at.button(key=f"{P}.view.{standard}").click().run()
    assert len(log.read_text().splitlines()) == before + 1
    # The line: end, server ms, ms waiting for a turn, the thread's CPU ms, the page.
    _end, total, waited, cpu, page = log.read_text().splitlines()[-1].split()
    assert page == "customers" and float(cpu) > 0 and 0 <= float(waited) <= float(total)
    assert at.button(key=f"{P}.view.{standard}").proto.type == "primary"  # open, and shown so
    assert count_shown(at) == scalar(
        demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM]
    )


def test_the_listing_is_read_again_when_its_companies_change_and_not_for_a_deal(
    app, demo_path, monkeypatch
):
    from cs_core import db as core_db
    from cs_core import record_list, record_values, users
    from tests.conftest import NOW

    reads = []
    real = record_list.page

    def counted(con, query, *args, **kwargs):
        reads.append(query.object)
        return real(con, query, *args, **kwargs)

    monkeypatch.setattr(record_list, "page", counted)
    at = open_tab(app, CSM)
    first_id = int(at.dataframe(key=f"{P}.table").value["id"].iloc[0])
    assert reads == ["companies"]

    con = core_db.shared_workspace(demo_path)
    with core_db.transaction(con) as cur:  # another session renames a deal
        cur.execute("UPDATE deals SET name = 'Renewal 2027' WHERE id = (SELECT min(id) FROM deals)")
    at.run()
    assert reads == ["companies"]  # its page of companies was kept

    record_values.update_property(con, actor=users.get_user(con, CSM), object_name="companies",
                                  record_id=first_id, property_name="name", value="Aardvark Analytics",
                                  now=NOW)  # fmt: skip
    at.run()
    assert reads == ["companies", "companies"]
    table = at.dataframe(key=f"{P}.table").value
    assert table.loc[table["id"] == first_id, "Company name"].iloc[0] == "Aardvark Analytics"


def test_the_previews_history_and_merge_are_built_only_while_open(app, monkeypatch):
    """Closed sections cost the run nothing: no history read, no merge search; open, they show;
    the run that closes one builds it once more (a value typed just before is not lost)."""
    from cs_core import record_values

    reads = []
    real = record_values.property_history
    monkeypatch.setattr(record_values, "property_history",
                        lambda *a, **k: reads.append(a[2]) or real(*a, **k))  # fmt: skip
    at = _select_first_row(open_tab(app, CSM))
    record_id = at.session_state[f"{P}.record_id"]
    assert reads == []
    assert not [s for s in at.selectbox if s.key == f"{P}.preview.history.prop"]
    assert not [t for t in at.text_input if t.key == f"{P}.merge.search"]
    labels = [e.proto.label for e in at.expander]
    assert "Property history" in labels and "Merge with another record" in labels

    at.session_state[f"{P}.preview.history"] = True  # the user opens the history
    at.run()
    assert reads == [record_id]
    assert at.selectbox(key=f"{P}.preview.history.prop").value == "All properties"
    assert not at.exception

    at.session_state[f"{P}.preview.history"] = False  # and closes it
    at.run()
    assert reads == [record_id, record_id]  # the closing run
    at.run()
    assert reads == [record_id, record_id]
    assert not [s for s in at.selectbox if s.key == f"{P}.preview.history.prop"]

    at.session_state[f"{P}.preview.merge"] = True
    at.run()
    assert at.text_input(key=f"{P}.merge.search").value == ""


def test_closed_advanced_filters_build_no_editor_and_still_apply(app, demo_path):
    at = open_tab(app, CSM)
    owned = scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM])
    assert prop_keys(at) == set()  # "Owned by me" holds a condition; its editor is not built
    assert count_shown(at) == owned
    assert "1 advanced condition applied" in [c.value for c in at.caption]

    open_advanced(at)
    assert len(prop_keys(at)) == 1
    before = prop_keys(at)
    at.button(key=f"{P}.add.0").click().run()
    key = new_condition_keys(at, before)
    at.selectbox(key=f"{key}.prop").set_value("segment").run()
    # A value chosen and the panel closed in one run: the value is kept and applied.
    at.selectbox(key=f"{key}.value.segment.eq").set_value("Enterprise")
    at.session_state[f"{P}.advanced"] = False
    at.run()
    enterprise = scalar(
        demo_path,
        "SELECT count(*) FROM companies WHERE csm_id = ? AND segment = 'Enterprise'",
        [CSM],
    )
    assert 0 < enterprise < owned
    assert count_shown(at) == enterprise
    at.run()
    assert prop_keys(at) == set() and count_shown(at) == enterprise
    assert "2 advanced conditions applied" in [c.value for c in at.caption]

    open_advanced(at)  # opened again, the editor shows what it held
    assert at.selectbox(key=f"{key}.value.segment.eq").value == "Enterprise"
    assert count_shown(at) == enterprise


def test_each_previewed_field_is_one_row_block_of_its_label_and_its_value(app):
    # Two columns a field would be three blocks of each of the preview's rows, on every run.
    at = _select_first_row(open_tab(app, CSM))
    (panel,) = [c for c in at.container if c.key == f"{P}.preview"]
    rows, kinds = [], []

    def walk(node):
        children = list(getattr(node, "children", {}).values())
        kinds.append(getattr(node, "type", ""))
        if kinds[-1] == "flex_container" and [getattr(c, "type", "") for c in children] == [
            "caption",
            "text",
        ]:
            rows.append((children[0].value, children[1].value))
        for child in children:
            walk(child)

    walk(panel)
    assert len(rows) == kinds.count("text") >= 10  # every field, label | value
    assert kinds.count("column") < len(rows)  # the buttons' columns only, none per field

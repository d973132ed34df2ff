"""The Actions tab in AppTest: standard views and deep links, creating tasks, selecting and
bulk actions (ACT-1..ACT-5)."""

from cs_core import db, tasks, users
from tests.conftest import CSM, NOW, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar

P = "actions"


def open_tab(app, user_id, view: str | None = None):
    at = app(user_id)
    if view:
        at.query_params["view"] = view
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    return at


def count_shown(at) -> int:
    line = next(m.value for m in at.markdown if m.value.startswith("**") and "task" in m.value)
    return int(line.split("**")[1].replace(",", ""))


def test_a_deep_link_opens_the_standard_view_with_the_buckets_count(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    counts = tasks.bucket_counts(cur, user=users.get_user(cur, CSM), now=NOW)
    for key, name, expected in [("overdue", "Overdue", counts.overdue), ("today", "Due today", counts.today),
                                ("tomorrow", "Due tomorrow", counts.tomorrow), ("completed", "All completed", counts.completed)]:  # fmt: skip
        at = open_tab(app, CSM, view=key)
        assert plain(at.title[0].value) == name
        assert count_shown(at) == expected > 0


def test_create_and_add_another_keeps_the_form_open_and_cleared(app, demo_path):
    at = open_tab(app, CSM)
    at.button(key=f"{P}.task.start").click().run()
    at.text_input(key=f"{P}.task.0.title").set_value("Call about the renewal").run()
    at.selectbox(key=f"{P}.task.0.type").set_value("call").run()
    at.selectbox(key=f"{P}.task.0.priority").set_value("high").run()
    at.text_input(key=f"{P}.task.0.search").set_value("a").run()
    record = at.selectbox(key=f"{P}.task.0.record.a").value
    at.button(key=f"{P}.task.another").click().run()
    assert not at.exception and not at.error
    assert [plain(t.value) for t in at.toast] == ["Task “Call about the renewal” created."]
    # The form is still open, with empty fields under new keys.
    assert at.text_input(key=f"{P}.task.1.title").value == ""
    row = scalar(demo_path, "SELECT task_type, priority, owner_id, object || ':' || record_id, status, created_by "
                            "FROM tasks WHERE title = 'Call about the renewal'", row=True)  # fmt: skip
    assert row == ("call", "high", CSM, record, "open", CSM)
    # A refused one keeps what was typed.
    at.text_input(key=f"{P}.task.1.title").set_value("   ").run()
    at.button(key=f"{P}.task.create").click().run()
    assert plain(at.error[0].value) == "Give the task a title."
    at.text_input(key=f"{P}.task.1.title").set_value("Send the QBR deck").run()
    at.button(key=f"{P}.task.create").click().run()
    assert [plain(t.value) for t in at.toast] == ["Task “Send the QBR deck” created."]
    assert not any(b.key == f"{P}.task.create" for b in at.button)  # "Create" closes the form
    assert scalar(demo_path, "SELECT count(*) FROM tasks WHERE title IN ('Call about the renewal', "
                             "'Send the QBR deck') AND owner_id = ?", [CSM]) == 2  # fmt: skip


def test_select_all_matching_across_pages_and_mark_them_complete(app, demo_path):
    at = open_tab(app, CSM, view="open")
    total = count_shown(at)
    expected = scalar(
        demo_path, "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open'", [CSM]
    )
    assert total == expected > 25  # more than one page
    at.multiselect(key=f"{P}.quick.type").set_value(["todo", "email"]).run()
    calls = scalar(demo_path, "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open' "
                              "AND task_type <> 'call'", [CSM])  # fmt: skip
    assert count_shown(at) == calls > 25  # two pages
    at.button(key=f"{P}.select_all").click().run()
    assert f"All {calls:,} tasks matching this filter are selected" in plain(at.info[0].value)
    at.button(key=f"{P}.bulk.complete").click().run()
    assert [plain(t.value) for t in at.toast] == [f"{calls:,} tasks marked complete."]
    assert scalar(demo_path, "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open' "
                             "AND task_type <> 'call'", [CSM]) == 0  # fmt: skip
    assert (
        scalar(
            demo_path, "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open'", [CSM]
        )
        == expected - calls
    )
    assert scalar(demo_path, "SELECT count(*) FROM property_history WHERE object = 'tasks' AND property = 'status' "
                             "AND new_value = 'completed' AND changed_by = ?", [CSM]) == calls  # fmt: skip


def test_delete_asks_for_confirmation_naming_the_count(app, demo_path):
    at = open_tab(app, CSM, view="open")
    before = scalar(demo_path, "SELECT count(*) FROM tasks")
    at.button(key=f"{P}.select_page").click().run()
    assert (
        at.markdown[[m.value for m in at.markdown].index("**25** selected")].value
        == "**25** selected"
    )
    at.button(key=f"{P}.bulk.delete").click().run()
    assert plain(at.warning[0].value) == "Delete 25 tasks? This cannot be undone."
    assert scalar(demo_path, "SELECT count(*) FROM tasks") == before  # nothing yet
    at.button(key=f"{P}.bulk.delete.cancel").click().run()
    assert not at.warning and scalar(demo_path, "SELECT count(*) FROM tasks") == before
    at.button(key=f"{P}.bulk.delete").click().run()
    at.button(key=f"{P}.bulk.delete.confirm").click().run()
    assert [plain(t.value) for t in at.toast] == ["25 tasks deleted."]
    assert scalar(demo_path, "SELECT count(*) FROM tasks") == before - 25


def test_a_csm_cannot_bulk_edit_another_teams_tasks(app, demo_path):
    other = scalar(demo_path, "SELECT t.id FROM tasks t JOIN users u ON u.id = t.owner_id WHERE t.status = 'open' "
                              "AND u.team_id IS DISTINCT FROM (SELECT team_id FROM users WHERE id = ?) "
                              "ORDER BY t.id LIMIT 1", [CSM])  # fmt: skip
    mine = scalar(
        demo_path, "SELECT min(id) FROM tasks WHERE owner_id = ? AND status = 'open'", [CSM]
    )
    at = open_tab(app, CSM, view="open")
    at.session_state[f"{P}.selected"] = {mine, other}  # e.g. a stale page, or a crafted request
    at.run()
    at.button(key=f"{P}.bulk.complete").click().run()
    assert "may not change 1 of the selected tasks" in plain(at.error[0].value)
    assert (
        scalar(
            demo_path,
            "SELECT count(*) FROM tasks WHERE id IN (?, ?) AND status = 'open'",
            [mine, other],
        )
        == 2
    )
    # A settings manager may.
    at = open_tab(app, SETTINGS_MANAGER)
    at.session_state[f"{P}.selected"] = {mine, other}
    at.run()
    at.button(key=f"{P}.bulk.complete").click().run()
    assert [plain(t.value) for t in at.toast] == ["2 tasks marked complete."]


def _task_titles(at) -> list[str]:
    """The titles in the record's task table (the one with a "Task" column)."""
    return [t for d in at.dataframe if "Task" in d.value.columns for t in d.value["Task"]]


def test_a_task_created_from_the_preview_is_for_that_record_and_on_its_timeline(app, demo_path):
    at = app(CSM)
    at.switch_page("app_pages/customers.py").run()
    at.session_state["customers.table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    record_id = at.session_state["customers.record_id"]
    name = scalar(demo_path, "SELECT name FROM companies WHERE id = ?", [record_id])
    prefix = "customers.preview"
    at.button(key=f"{prefix}.task.start").click().run()
    assert f"For {name}" in [plain(c.value) for c in at.caption]
    at.text_input(key=f"{prefix}.task.0.title").set_value("Check in after the outage").run()
    at.button(key=f"{prefix}.task.create").click().run()
    assert [plain(t.value) for t in at.toast] == ["Task “Check in after the outage” created."]
    assert scalar(demo_path, "SELECT object || ':' || record_id FROM tasks WHERE title = 'Check in after the outage'") == (
        f"companies:{record_id}")  # fmt: skip
    assert "Check in after the outage" in _task_titles(at)
    # And on the record page's Activity tab.
    at.query_params["record"] = str(record_id)
    at.run()
    assert "Check in after the outage" in _task_titles(at)


def test_a_custom_task_view_keeps_its_filters(app, demo_path):
    at = open_tab(app, CSM, view="open")
    at.multiselect(key=f"{P}.quick.priority").set_value(["high"]).run()
    high = scalar(
        demo_path,
        "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open' AND priority = 'high'",
        [CSM],
    )
    assert count_shown(at) == high
    at.button(key=f"{P}.create").click().run()
    at.text_input(key=f"{P}.new.name").set_value("My urgent ones").run()
    at.button(key=f"{P}.new.save").click().run()
    assert [plain(t.value) for t in at.toast] == ["View “My urgent ones” created."]
    assert plain(at.title[0].value) == "My urgent ones" and count_shown(at) == high
    saved = scalar(
        demo_path,
        "SELECT sharing, owner_id FROM views WHERE object = 'tasks' AND name = 'My urgent ones'",
        row=True,
    )
    assert saved == ("private", CSM)
    # Another view, then back: the saved filters come back (in the editor), the same rows.
    at.button(key=next(b.key for b in at.button if b.label == "Overdue")).click().run()
    assert plain(at.title[0].value) == "Overdue"
    at.button(key=next(b.key for b in at.button if b.label == "My urgent ones")).click().run()
    assert count_shown(at) == high
    # A settings manager does not see a CSM's private view.
    other = open_tab(app, SETTINGS_MANAGER)
    assert "My urgent ones" not in [b.label for b in other.button]


def test_mark_complete_shows_its_result_in_the_clicks_own_run(
    app, demo_path, monkeypatch, tmp_path
):
    """The bulk action is made before the page runs (a callback): the click's one run (a line
    of the app's timing log) already lists one open task fewer and confirms it."""
    log = tmp_path / "runs.log"
    monkeypatch.setenv("CS_TIMING_LOG", str(log))
    at = open_tab(app, CSM, view="open")
    before = count_shown(at)
    mine = scalar(
        demo_path, "SELECT min(id) FROM tasks WHERE owner_id = ? AND status = 'open'", [CSM]
    )
    at.session_state[f"{P}.selected"] = {mine}
    at.run()
    runs = len(log.read_text().splitlines())
    at.button(key=f"{P}.bulk.complete").click().run()
    assert len(log.read_text().splitlines()) == runs + 1
    assert [plain(t.value) for t in at.toast] == ["1 task marked complete."]
    assert count_shown(at) == before - 1
    assert scalar(demo_path, "SELECT status FROM tasks WHERE id = ?", [mine]) == "completed"
    assert any(m.value == "No task selected" for m in at.markdown)


def test_the_pager_is_one_row_and_moves_between_pages(app, demo_path):
    at = open_tab(app, CSM, view="completed")  # more completed tasks than one page holds
    total = count_shown(at)
    pages = -(-total // 25)
    assert pages >= 2
    page_line = [m for m in at.markdown if m.value.startswith("Page **")]
    assert [m.value for m in page_line] == [f"Page **1** of **{pages:,}**"]
    first = list(at.dataframe[0].value["id"])
    at.button(key=f"{P}.next").click().run()
    assert [m.value for m in at.markdown if m.value.startswith("Page **")] == [
        f"Page **2** of **{pages:,}**"
    ]
    second = list(at.dataframe[0].value["id"])
    assert len(first) == 25 and second and not set(first) & set(second)
    at.button(key=f"{P}.prev").click().run()
    assert list(at.dataframe[0].value["id"]) == first

    # One row block holds the pager (four columns would be five blocks on every run).
    def holders(node, found):
        children = list(getattr(node, "children", {}).values())
        kinds = [getattr(c, "type", "") for c in children]
        if "selectbox" in kinds and kinds.count("button") == 2 and "markdown" in kinds:
            found.append(getattr(node, "type", ""))
        for child in children:
            holders(child, found)
        return found

    assert holders(at._tree.main, []) == ["flex_container"]

"""The Feed tab in AppTest (FED-1..FED-5): filters, removal, follow-ups that land where a CSM
expects them (the contact's timeline, the health score, the Actions tab)."""

from cs_core import db, feed, record_detail, users
from cs_core.health.explain import current_health
from tests.conftest import CSM, NOW, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar, tab_scripts

P = "feed"


def _open(app, user_id=CSM):
    at = app(user_id)
    at.switch_page("app_pages/feed.py").run()
    assert not at.exception
    return at


def _shown_ids(at) -> list[int]:
    """The notifications on screen, in order, by their containers' keys (feed-item-<id>)."""
    found: list[int] = []

    def walk(node):
        key = getattr(node, "key", None)
        if isinstance(key, str) and key.startswith("feed-item-"):
            found.append(int(key.rsplit("-", 1)[1]))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def _expected(demo_path, user_id=CSM, **kwargs):
    cur = db.shared_workspace(demo_path).cursor()
    return feed.page(cur, user=users.get_user(cur, user_id), now=NOW, **kwargs).items


def test_the_feed_is_a_tab_and_pages_back_with_load_older(app, demo_path):
    at = _open(app)
    assert "feed.py" in tab_scripts(at)
    first = [n.id for n in _expected(demo_path)]
    assert len(first) == feed.PAGE_SIZE and _shown_ids(at) == first
    at.button(key="feed.older").click().run()
    shown = _shown_ids(at)
    assert shown[: feed.PAGE_SIZE] == first and len(shown) == 2 * feed.PAGE_SIZE == len(set(shown))


def test_filters_by_type_and_by_sequence(app, demo_path):
    at = _open(app)
    at.multiselect(key="feed.types").set_value(["email_reply", "meeting_booked"]).run()
    expected = [n.id for n in _expected(demo_path, types=["email_reply", "meeting_booked"])]
    assert expected and _shown_ids(at) == expected
    cur = db.shared_workspace(demo_path).cursor()
    sequence = next(i for i, _ in feed.sequences(cur) if _expected(demo_path, sequence=i))
    at.multiselect(key="feed.types").set_value([]).run()
    at.selectbox(key="feed.sequence").set_value(sequence).run()
    assert _shown_ids(at) == [n.id for n in _expected(demo_path, sequence=sequence)] != []
    at.text_input(key="feed.search").set_value("no such words anywhere").run()
    assert _shown_ids(at) == [] and "No notification matches" in plain(at.info[0].value)


def _keys(at) -> list[str]:
    """The feed's notifications and undo banner, in screen order."""
    found: list[str] = []

    def walk(node):
        key = getattr(node, "key", None)
        if isinstance(key, str) and (key.startswith("feed-item-") or key == "feed-undo"):
            found.append(key)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def test_removing_hides_it_for_me_with_undo_where_it_was(app, demo_path):
    at = _open(app)
    first, second, third, fourth = _shown_ids(at)[:4]
    at.button(key=f"feed.remove.{third}").click().run()
    assert third not in _shown_ids(at)
    # The undo banner takes the removed notification's place, in view of the user's click.
    assert _keys(at)[:3] == [f"feed-item-{first}", f"feed-item-{second}", "feed-undo"]
    assert _keys(at)[3] == f"feed-item-{fourth}"
    assert (
        scalar(
            demo_path,
            "SELECT count(*) FROM feed_dismissals WHERE user_id = ? AND activity_id = ?",
            [CSM, third],
        )
        == 1
    )
    at.button(key="feed.undo").click().run()
    assert _shown_ids(at)[:4] == [first, second, third, fourth] and "feed-undo" not in _keys(at)


def test_a_call_logged_from_a_notification_is_on_the_timeline_and_moves_the_score(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    # A notification from an SMB company with no call or meeting for 60 days: the SMB profile
    # gives points for one.
    quiet = cur.execute(
        "SELECT c.id, c.name FROM companies c WHERE c.csm_id = ? AND c.segment = 'SMB' AND NOT EXISTS (SELECT 1 "
        "FROM activities a WHERE a.company_id = c.id AND a.activity_type IN ('call', 'meeting') "
        "AND a.occurred_at > ? - INTERVAL 60 DAY) ORDER BY c.id", [CSM, NOW.replace(tzinfo=None)]).fetchall()  # fmt: skip
    item = next(
        n
        for cid, name in quiet
        for n in _expected(demo_path, search=name, limit=5)
        if n.account_id == cid
    )
    (before,) = current_health(cur, "companies", item.account_id, day=NOW.date())
    at = _open(app)
    at.text_input(key="feed.search").set_value(item.account_name).run()
    prefix = f"feed.n{item.id}"
    at.button(key=f"{prefix}.fu.call").click().run()
    at.text_input(key=f"{prefix}.fu.0.call.subject").set_value(
        "Follow-up on the pricing visit"
    ).run()
    at.text_area(key=f"{prefix}.fu.0.call.body").set_value("Wants a quote for 10 more seats.").run()
    at.button(key=f"{prefix}.fu.save").click().run()
    assert not at.exception and not at.error
    timeline = record_detail.activities(cur, "contacts", item.contact_id, limit=1)
    assert list(timeline["What"]) == ["Follow-up on the pricing visit"] and list(
        timeline["Type"]
    ) == ["Call"]
    (after,) = current_health(cur, "companies", item.account_id, day=NOW.date())
    assert after.score > before.score and after.score_date == NOW.date()
    # The contact's record page (linked from the notification) shows it too.
    at.query_params["object"] = "contacts"
    at.query_params["record"] = str(item.contact_id)
    at.switch_page("app_pages/feed.py").run()
    assert not at.exception
    assert any(
        "Follow-up on the pricing visit" in list(d.value.get("What", [])) for d in at.dataframe
    )


def test_a_task_created_from_a_notification_is_in_the_actions_tab(app, demo_path):
    item = _expected(demo_path)[0]
    at = _open(app)
    prefix = f"feed.n{item.id}"
    at.button(key=f"{prefix}.fu.task").click().run()
    at.text_input(key=f"{prefix}.fu.task.0.title").set_value("Send the renewal quote").run()
    at.button(key=f"{prefix}.fu.task.create").click().run()
    assert not at.exception and not at.error
    assert scalar(demo_path, "SELECT object || ':' || record_id || ':' || owner_id FROM tasks "
                  "WHERE title = 'Send the renewal quote'") == f"contacts:{item.contact_id}:{CSM}"  # fmt: skip
    at.query_params["view"] = "open"
    at.switch_page("app_pages/actions.py").run()
    at.text_input(key="actions.quick.search").set_value("renewal quote").run()
    assert not at.exception
    titles = [t for d in at.dataframe for t in d.value.get("Title", [])]
    assert "Send the renewal quote" in titles


def test_a_settings_manager_without_accounts_sees_what_the_feed_is_for(app, demo_path):
    at = _open(app, SETTINGS_MANAGER)
    if not _expected(demo_path, SETTINGS_MANAGER):
        assert "Nothing yet" in plain(at.info[0].value)
    else:
        assert _shown_ids(at)[0] == _expected(demo_path, SETTINGS_MANAGER)[0].id


def test_a_note_from_the_record_preview_is_saved_on_the_chosen_contact(app, demo_path):
    at = app(CSM)
    at.switch_page("app_pages/customers.py").run()
    at.session_state["customers.table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    company = at.session_state["customers.record_id"]
    contact = at.selectbox(key="customers.preview.fu.contact").value  # the first by name
    prefix = f"customers.preview.c{contact}"
    at.button(key=f"{prefix}.fu.note").click().run()
    at.button(key=f"{prefix}.fu.save").click().run()
    assert plain(at.error[0].value) == "Give the note."  # nothing typed: refused, form kept
    at.text_area(key=f"{prefix}.fu.0.note.body").set_value(
        "Their champion moves to the EU team."
    ).run()
    at.button(key=f"{prefix}.fu.save").click().run()
    assert not at.exception and [plain(t.value) for t in at.toast] == ["Note saved on the contact."]
    row = scalar(demo_path, "SELECT activity_type, contact_id, company_id, user_id FROM activities "
                 "WHERE body = 'Their champion moves to the EU team.'", row=True)  # fmt: skip
    assert row == ("note", contact, company, CSM)


def test_an_undo_clicked_late_is_still_honoured(app, demo_path):
    at = _open(app)
    first = _shown_ids(at)[0]
    at.button(key=f"feed.remove.{first}").click().run()
    undo = at.button(key="feed.undo")  # drawn; the user clicks it after the few seconds passed
    removed = at.session_state["feed.removed"]
    at.session_state["feed.removed"] = (removed[0], removed[1] - 60, removed[2])
    undo.click().run()
    assert _shown_ids(at)[0] == first
    assert (
        scalar(demo_path, "SELECT count(*) FROM feed_dismissals WHERE activity_id = ?", [first])
        == 0
    )

"""Every page run takes a turn (cs_core.admission) for its work and gives it back however it
ends: shown, stopped early, rerun by a button, or refused."""

from cs_core import admission
from tests.conftest import CSM, NO_ACCESS

P = "customers"


def test_every_run_holds_a_turn_while_it_works_and_gives_it_back(app, monkeypatch):
    from ui import auth

    gate = admission.Gate(2)
    monkeypatch.setattr(admission, "_gate", gate)
    held = []
    real = auth.resolve_user
    monkeypatch.setattr(auth, "resolve_user", lambda con: held.append(gate.holding()) or real(con))

    at = app(CSM)  # the Summary
    assert held == [True] and (gate.running, gate.waiting) == (0, 0)
    at.switch_page("app_pages/customers.py").run()
    at.session_state[f"{P}.table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert at.session_state[f"{P}.record_id"] is not None
    at.button(key=f"{P}.preview.close").click().run()  # its run ends in st.rerun()
    assert at.session_state[f"{P}.record_id"] is None
    assert not at.exception
    assert held == [True] * len(held) and len(held) >= 5
    assert (gate.running, gate.waiting) == (0, 0)

    refused = app(NO_ACCESS)  # a user without CS access: the page that says so
    assert not refused.exception
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_limit_that_is_not_a_number_is_a_message_in_the_page(app, monkeypatch):
    monkeypatch.setattr(admission, "_gate", None)
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "two")
    at = app(CSM)
    assert not at.exception
    (error,) = at.error
    assert "CS_CONCURRENT_RUNS='two' is not a whole number" in error.value.replace("\\", "")

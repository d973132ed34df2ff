"""Stage moves and boards (SRV-3, REV-3): required properties, a stage of another pipeline,
history, concurrent moves of one card, and the board's counts, totals and first cards."""

import threading
from datetime import UTC, date, datetime

import pytest

from cs_core import boards, db, pipelines, users
from cs_core.pipelines import MoveRefused
from cs_core.record_list import Query, Viewer
from cs_core.record_values import StaleEdit
from tests.conftest import SETTINGS_MANAGER

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
# The demo's Renewals pipeline: 1 Renewal identified, 2 Proposal sent (amount),
# 3 Negotiation (amount, close date), ...; Expansion: 6 Discovery, ...
IDENTIFIED, PROPOSAL, NEGOTIATION, DISCOVERY = 1, 2, 3, 6


@pytest.fixture
def deal(demo_con):
    """A renewal deal in the first stage without amount or close date."""
    deal_id = demo_con.execute("SELECT min(id) FROM deals WHERE pipeline_id = 1").fetchone()[0]
    db.write(demo_con, lambda cur: cur.execute(
        "UPDATE deals SET stage_id = 1, amount = NULL, close_date = NULL WHERE id = ?", [deal_id]))  # fmt: skip
    return deal_id


def _history(con, deal_id):
    return con.execute(
        "SELECT property, old_value, new_value, changed_by FROM property_history WHERE object = 'deals' "
        "AND record_id = ? AND source = 'ui' ORDER BY id", [deal_id]).fetchall()  # fmt: skip


def test_a_move_needs_the_stages_required_properties(demo_con, deal):
    actor = users.get_user(demo_con, SETTINGS_MANAGER)
    with pytest.raises(
        MoveRefused, match="Moving to “Negotiation” needs Amount, Close date."
    ) as refused:
        pipelines.move_record(
            demo_con,
            actor=actor,
            object_name="deals",
            record_id=deal,
            stage_id=NEGOTIATION,
            now=NOW,
        )
    assert refused.value.missing == ("amount", "close_date")
    assert pipelines.missing_for(demo_con, "deals", deal, NEGOTIATION) == ["amount", "close_date"]
    with pytest.raises(MoveRefused, match="needs Close date"):
        pipelines.move_record(demo_con, actor=actor, object_name="deals", record_id=deal, stage_id=NEGOTIATION,
                              values={"amount": "12,500"}, now=NOW)  # fmt: skip
    assert demo_con.execute(
        "SELECT stage_id, amount FROM deals WHERE id = ?", [deal]
    ).fetchone() == (1, None)
    move = pipelines.move_record(demo_con, actor=actor, object_name="deals", record_id=deal, stage_id=NEGOTIATION,
                                 values={"amount": "12,500", "close_date": "2027-01-31"}, now=NOW,
                                 expected_stage=IDENTIFIED)  # fmt: skip
    assert (move.from_stage, move.to_stage, move.changed) == (
        1,
        3,
        ("amount", "close_date", "stage_id"),
    )
    assert demo_con.execute("SELECT stage_id, amount, close_date FROM deals WHERE id = ?", [deal]).fetchone() == (
        3, 12500.0, date(2027, 1, 31))  # fmt: skip
    assert _history(demo_con, deal) == [("amount", None, "12500", SETTINGS_MANAGER),
                                        ("close_date", None, "2027-01-31", SETTINGS_MANAGER),
                                        ("stage_id", "1", "3", SETTINGS_MANAGER)]  # fmt: skip
    # Back to a stage without requirements: only the stage changes.
    back = pipelines.move_record(
        demo_con, actor=actor, object_name="deals", record_id=deal, stage_id=PROPOSAL, now=NOW
    )
    assert back.changed == ("stage_id",) and _history(demo_con, deal)[-1] == (
        "stage_id",
        "3",
        "2",
        SETTINGS_MANAGER,
    )


def test_a_stage_of_another_pipeline_is_refused(demo_con, deal):
    actor = users.get_user(demo_con, SETTINGS_MANAGER)
    with pytest.raises(MoveRefused, match="belongs to another pipeline"):
        pipelines.move_record(
            demo_con, actor=actor, object_name="deals", record_id=deal, stage_id=DISCOVERY, now=NOW
        )
    with pytest.raises(MoveRefused, match="does not exist"):
        pipelines.move_record(
            demo_con, actor=actor, object_name="deals", record_id=deal, stage_id=999, now=NOW
        )
    assert demo_con.execute("SELECT stage_id FROM deals WHERE id = ?", [deal]).fetchone() == (1,)
    assert _history(demo_con, deal) == []


def test_concurrent_moves_of_one_card_leave_one_stage_and_the_later_ones_refused(demo_path, deal):
    con = db.shared_workspace(demo_path)
    actor = users.get_user(con.cursor(), SETTINGS_MANAGER)
    targets = [PROPOSAL if i % 2 else 5 for i in range(20)]  # Proposal sent / Closed lost
    db.write(con, lambda cur: cur.execute("UPDATE deals SET amount = 1000 WHERE id = ?", [deal]))
    results, start = [], threading.Barrier(20)

    def mover(target):
        cur = con.cursor()
        start.wait()
        try:
            pipelines.move_record(cur, actor=actor, object_name="deals", record_id=deal, stage_id=target,
                                  expected_stage=IDENTIFIED, now=NOW)  # fmt: skip
            results.append(("moved", target))
        except StaleEdit:
            results.append(("refused", target))

    threads = [threading.Thread(target=mover, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    moved = [t for kind, t in results if kind == "moved"]
    assert len(moved) == 1 and len(results) == 20
    cur = con.cursor()
    assert cur.execute("SELECT stage_id FROM deals WHERE id = ?", [deal]).fetchone() == (moved[0],)
    assert _history(cur, deal)[-1:] == [("stage_id", "1", str(moved[0]), SETTINGS_MANAGER)]
    assert [h[0] for h in _history(cur, deal)].count("stage_id") == 1
    db.close_shared()


def test_the_board_counts_totals_and_first_cards_per_stage(demo_con):
    pipe = next(p for p in pipelines.list_pipelines(demo_con, "deals") if p.id == 1)
    viewer = Viewer(SETTINGS_MANAGER, NOW, "UTC")
    query = Query("deals", [], ("name",), sort=(("amount", "desc"),))
    found = boards.board(
        demo_con, query, viewer, pipeline=pipe, amount_property="amount", owner_property="owner_id"
    )
    expected = dict(((s, (n, t)) for s, n, t in demo_con.execute(
        "SELECT stage_id, count(*), coalesce(sum(amount), 0) FROM deals WHERE pipeline_id = 1 GROUP BY 1").fetchall()))  # fmt: skip
    assert [c.stage.id for c in found] == [1, 2, 3, 4, 5]
    for column in found:
        n, total = expected.get(column.stage.id, (0, 0.0))
        assert (column.count, column.total) == (n, pytest.approx(total))
        assert len(column.cards) == min(n, boards.CARDS)
        amounts = list(column.cards["amount"].fillna(-1))
        assert amounts == sorted(amounts, reverse=True)
    # A filter narrows every column; "load more" shows more of one stage.
    owned = Query("deals", [[{"property": "owner_id", "operator": "eq", "value": 4}]], ("name",))
    mine = boards.board(demo_con, owned, viewer, pipeline=pipe, amount_property="amount")
    assert sum(c.count for c in mine) == demo_con.execute(
        "SELECT count(*) FROM deals WHERE pipeline_id = 1 AND owner_id = 4").fetchone()[0]  # fmt: skip
    big = max(found, key=lambda c: c.count)
    if big.count > boards.CARDS:
        more = boards.board(
            demo_con, query, viewer, pipeline=pipe, shown={big.stage.id: boards.CARDS * 2}
        )
        assert len(next(c for c in more if c.stage.id == big.stage.id).cards) == min(
            big.count, boards.CARDS * 2
        )

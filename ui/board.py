"""The pipeline board (SRV-3, REV-3): stage columns with their count and amount total, cards
moved between them by drag and drop, "load more" per column, and a click that opens the
record's preview.

The drag and drop is a small ``st.components.v2`` component on the browser's own
drag-and-drop API: no package, no build step and no assets outside this file, so it works
offline and its code is ours to read (the packaged alternatives are young single-author
projects). It draws every card with ``textContent`` (record names are user text) and
reports a drop as a one-run trigger, taken by a callback before the page runs; Python decides
whether the move happens (required properties ask first), and the drop's own run makes it and
then draws the board from the database.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cs_core.boards import BoardColumn

_CSS = """
.board { display: flex; gap: 10px; overflow-x: auto; padding-bottom: 6px; font-family: var(--st-font); }
.col { flex: 0 0 240px; background: var(--st-secondary-background-color); border-radius: 8px; padding: 8px;
       min-height: 140px; display: flex; flex-direction: column; gap: 6px; }
.col.over { outline: 2px dashed var(--st-primary-color); }
.head { font-weight: 600; font-size: 0.9rem; color: var(--st-text-color); }
.meta { font-size: 0.8rem; opacity: 0.75; color: var(--st-text-color); margin-bottom: 4px; }
.card { background: var(--st-background-color); border: 1px solid rgba(128,128,128,.3); border-radius: 6px;
        padding: 6px 8px; cursor: grab; font-size: 0.85rem; color: var(--st-text-color); }
.card:focus { outline: 2px solid var(--st-primary-color); }
.card .sub { font-size: 0.75rem; opacity: 0.7; }
.more { font-size: 0.8rem; background: none; border: 1px solid rgba(128,128,128,.4); border-radius: 6px;
        padding: 4px; cursor: pointer; color: var(--st-text-color); }
"""

_JS = """
export default function ({ data, setTriggerValue, parentElement }) {
  const root = parentElement.querySelector(".board") || parentElement.appendChild(document.createElement("div"));
  root.className = "board";
  root.replaceChildren();
  for (const column of data.columns) {
    const col = document.createElement("div");
    col.className = "col";
    col.dataset.stage = column.id;
    col.setAttribute("aria-label", column.label);
    const head = document.createElement("div");
    head.className = "head";
    head.textContent = column.label;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = column.meta;
    col.append(head, meta);
    for (const card of column.cards) {
      const el = document.createElement("div");
      el.className = "card";
      el.draggable = true;
      el.tabIndex = 0;
      el.dataset.record = card.id;
      el.dataset.from = column.id;
      const name = document.createElement("div");
      name.textContent = card.name;
      const sub = document.createElement("div");
      sub.className = "sub";
      sub.textContent = card.sub;
      el.append(name, sub);
      el.addEventListener("dragstart", (e) => {
        e.dataTransfer.setData("text/plain", JSON.stringify({ record: card.id, from: column.id }));
        e.dataTransfer.effectAllowed = "move";
      });
      const open = () => setTriggerValue("open", card.id);
      el.addEventListener("click", open);
      el.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
      col.append(el);
    }
    if (column.more) {
      const more = document.createElement("button");
      more.className = "more";
      more.textContent = column.more;
      more.addEventListener("click", () => setTriggerValue("more", column.id));
      col.append(more);
    }
    col.addEventListener("dragover", (e) => { e.preventDefault(); col.classList.add("over"); });
    col.addEventListener("dragleave", () => col.classList.remove("over"));
    col.addEventListener("drop", (e) => {
      e.preventDefault();
      col.classList.remove("over");
      let moved;
      try { moved = JSON.parse(e.dataTransfer.getData("text/plain")); } catch { return; }
      if (!moved || moved.from === column.id) return;
      setTriggerValue("move", { record: moved.record, from: moved.from, to: column.id, at: Date.now() });
    });
    root.append(col);
  }
}
"""

_BOARD = st.components.v2.component(
    "cs_pipeline_board", html='<div class="board"></div>', css=_CSS, js=_JS
)


def show(columns: list[BoardColumn], *, key: str, amount_label: str | None, users: dict[int, str],
         on_move: Callable[[dict], None], money: str = "{:,.0f}") -> dict:  # fmt: skip
    """Draw the board; returns this run's event: {"more": stage id}, {"open": record id} or {}.
    A drop calls ``on_move({"record", "from", "to"})`` before the page runs (a callback), so
    the drop's own run can make the move and draw the board after it."""
    data = {"columns": []}
    for c in columns:
        meta = f"{c.count:,} record{'s' if c.count != 1 else ''}"
        if amount_label and c.total is not None:
            meta += f" · {money.format(c.total)} {amount_label.lower()}"
        cards = []
        for row in c.cards.itertuples(index=False):
            bits = []
            if amount_label and row.amount == row.amount and row.amount is not None:  # not NaN
                bits.append(money.format(row.amount))
            if row.owner_id == row.owner_id and row.owner_id is not None:
                bits.append(users.get(int(row.owner_id), ""))
            cards.append(
                {"id": int(row.id), "name": str(row.name), "sub": " · ".join(b for b in bits if b)}
            )
        more = f"Load more ({c.count - len(c.cards):,} not shown)" if c.count > len(c.cards) else ""
        data["columns"].append(
            {"id": c.stage.id, "label": c.stage.label, "meta": meta, "cards": cards, "more": more}
        )

    def dropped() -> None:
        move = (st.session_state.get(key) or {}).get("move")  # the drop's event, as the run has it
        if move:
            on_move(move)

    result = _BOARD(data=data, key=key, on_move_change=dropped, on_more_change=lambda: None,
                    on_open_change=lambda: None)  # fmt: skip
    out = {}
    for name in ("more", "open"):
        value = getattr(result, name, None) if result is not None else None
        if value is not None:
            out[name] = value
    return out

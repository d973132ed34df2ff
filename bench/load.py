"""Load: concurrent sessions doing a day's work through the running app, and nothing lost.

    python -m bench.load [--sessions 20] [--seconds 60] [--scale M] [--port P] [--seed 7]
                         [--sessions-only | --without canary|run-now|backup ...]

The app runs as ``make run`` starts it (``python -m ui.launch``, the daily job's scheduler
included; its file watcher off, see :func:`serve`) on a copy of the scale's workspace
(``bench/workspaces/<scale>.duckdb``, built by ``bench.run`` when missing), on 127.0.0.1 only,
and is stopped at the end. Browsers cannot
make this load on a small machine, so each session is a client of Streamlit's own websocket
protocol (``/_stcore/stream``): it sends the rerun requests a browser sends (``BackMsg``
protobufs with the page, the query string and the widget values it changed) and reads the
server's ``ForwardMsg``\\ s until the run's ``script_finished``; an interaction's latency is
from sending its rerun to that message (after the reruns the page asks for itself). Widgets
are found by their key in the elements the server sent. Each session acts as its own CSM and
repeats a mix of what a CSM does (the Summary, a Customers view, a record preview, an edit, a
task completed, a card moved on the Services or Revenue board, a dashboard) with 0.5-1.5 s
to think between steps. Meanwhile one Chromium session (Debian's, when present) measures
what a person sees, a settings manager presses the daily job's "Run now", and a command-line
backup runs when ``python -m cs_core backup`` exists.

Printed: throughput, p50/p95 latency per kind of interaction and overall, the errors (a
websocket failure, a timeout, an exception or an error message in a page; each different one
printed once), CPU use, and whether every change the app acknowledged is in the workspace
file, read after the server stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench.run import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SEED,
    START_TIMEOUT_S,
    WORKSPACES,
    Results,
    ensure_workspace,
    free_port,
    port_in_use,
    stop,
    table,
    wait_healthy,
)

RUN_TIMEOUT_S = 30.0  # an interaction without its script_finished by then is a timeout
THINK_S = (0.5, 1.5)
SETTLE_S = 120.0  # after the load: how long the sessions may take to finish their last step
EDIT_PROPERTY, EDIT_LABEL = "open_tickets", "Open tickets"  # a number property of companies
RUN_NOW_AT = 0.3  # of the run's length: when the settings manager presses "Run now"
BACKUP_AT = 0.5
SETTINGS_MANAGER_ID = 3
# The mix: (flow, weight). Each flow is a few steps, every step one timed interaction.
MIX = (("summary", 20), ("customers", 35), ("actions", 15), ("board", 15), ("dashboard", 15))
DAILY = "daily job: Run now (settings manager)"
MANAGER = "settings manager: open Settings"
SIDE_KINDS = {DAILY, MANAGER}
SIDE_WORK = ("canary", "run-now", "backup")  # what runs beside the sessions (--without)


# --- what the sessions record ----------------------------------------------------------


@dataclass
class Change:
    """A change a session asked for; once the app confirmed it (its toast showed), it must be in
    the file afterwards."""

    kind: str  # property, task, move
    object: str
    record_id: int
    value: Any = None  # the property's value, the stage moved to
    acked: bool = False


@dataclass
class Stats:
    samples: list[tuple[str, float, float]] = field(default_factory=list)  # (kind, start, s)
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)  # monotonic spans
    errors: Counter = field(default_factory=Counter)  # by kind of interaction
    seen: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)  # in the order they were asked for
    refused: Counter = field(default_factory=Counter)
    side: dict[str, str] = field(default_factory=dict)  # what ran beside the load
    canary: list[tuple[str, float]] = field(default_factory=list)
    started: float = 0.0  # monotonic, when the sessions start

    def error(self, kind: str, text: str) -> None:
        """Count an error; print each different one once (its first 60 characters decide)."""
        self.errors[kind] += 1
        head = re.sub(r"\d+", "N", text)[:60]
        if head not in self.seen:
            self.seen.add(head)
            print(f"\nERROR in {kind!r}:\n{text}\n", file=sys.stderr, flush=True)


def element_key(element_id: str) -> str:
    """A widget's user key from its element id (``$$ID-<hash>-<key>``)."""
    return element_id.split("-", 2)[2] if element_id.startswith("$$ID-") else element_id


def rows_of(frame_proto) -> list[dict]:
    """A dataframe element's rows, from its Arrow data."""
    import pyarrow as pa

    data = frame_proto.arrow_data.data
    return pa.ipc.open_stream(data).read_all().to_pylist() if data else []


class Broken(Exception):
    """The session's connection failed or timed out: it starts again with a new one."""


# --- one websocket session --------------------------------------------------------------


class Client:
    """One browser tab's worth of Streamlit session, over the websocket."""

    def __init__(self, url: str, user_id: int, stats: Stats) -> None:
        self.url, self.user_id, self.stats = url, user_id, stats
        self.ws = None
        self.query = f"as={user_id}"
        self.pages: dict[str, str] = {}  # tab title -> page script hash
        self.page = ""  # the tab open now
        self.widgets: dict[str, tuple[str, Any]] = {}  # user key -> (element type, proto)
        self.toasts: list[str] = []

    async def connect(self, kind: str = "new session: Summary") -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        try:
            self.ws = await asyncio.wait_for(
                connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                        ping_interval=None, open_timeout=RUN_TIMEOUT_S),
                RUN_TIMEOUT_S,
            )  # fmt: skip
        except Exception as exc:
            self.stats.error(kind, f"websocket connect failed: {exc!r}")
            raise Broken from exc
        self.query, self.page = f"as={self.user_id}", ""
        await self.rerun(kind)
        self.page = "Summary"

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    def keys(self, pattern: str) -> list[re.Match]:
        return [m for k in self.widgets if (m := re.fullmatch(pattern, k))]

    def widget(self, key: str):
        found = self.widgets.get(key)
        return found[1] if found else None

    async def goto(self, title: str, kind: str, extra: str = "") -> None:
        self.query = f"as={self.user_id}" + (f"&{extra}" if extra else "")
        await self.rerun(kind, page=self.pages[title])
        self.page = title

    async def rerun(self, kind: str, *, page: str | None = None, widgets=()) -> None:
        """Ask for a rerun with these widget values; wait for its end (and that of the reruns
        it asks for). Records the latency, the toasts and every error in the pages."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = (
            page if page is not None else self.pages.get(self.page, "")
        )
        msg.rerun_script.widget_states.widgets.extend(widgets)
        self.toasts = []
        start, began = time.perf_counter(), time.monotonic()
        try:
            await self.ws.send(msg.SerializeToString())
            while True:
                left = RUN_TIMEOUT_S - (time.perf_counter() - start)
                data = await asyncio.wait_for(self.ws.recv(), max(left, 0.001))
                fwd = ForwardMsg()
                fwd.ParseFromString(data)
                if self._read(kind, fwd, ForwardMsg):
                    break
        except TimeoutError as exc:
            self.stats.error(kind, f"timeout: no script_finished within {RUN_TIMEOUT_S:.0f} s")
            raise Broken from exc
        except Exception as exc:  # the websocket closed or failed
            self.stats.error(kind, f"websocket failure: {exc!r}")
            raise Broken from exc
        self.stats.samples.append((kind, began, time.perf_counter() - start))

    def _read(self, kind: str, fwd, ForwardMsg) -> bool:
        """Take in one message; True at the end of the interaction."""
        what = fwd.WhichOneof("type")
        if what == "new_session":  # a run starts: its elements replace the last run's
            self.widgets = {}
        elif what == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            etype = element.WhichOneof("type")
            proto = getattr(element, etype)
            if etype == "exception":
                trace = "\n".join(proto.stack_trace)
                self.stats.error(kind, f"{proto.type}: {proto.message}\n{trace}".strip())
            elif etype == "alert" and proto.format == proto.ERROR:
                self.stats.error(kind, f"error message: {proto.body}")
            elif etype == "toast":
                self.toasts.append(proto.body)
            element_id = getattr(proto, "id", "") if etype != "exception" else ""
            if element_id:
                self.widgets[element_key(element_id)] = (etype, proto)
        elif what == "navigation":
            self.pages = {p.page_name: p.page_script_hash for p in fwd.navigation.app_pages}
        elif what == "page_info_changed":
            self.query = fwd.page_info_changed.query_string
        elif what == "page_not_found":
            self.stats.error(kind, f"page not found: {fwd.page_not_found.page_name!r}")
        elif what == "session_event" and fwd.session_event.HasField("script_compilation_exception"):
            exc = fwd.session_event.script_compilation_exception
            self.stats.error(kind, f"{exc.type}: {exc.message}\n" + "\n".join(exc.stack_trace))
        elif what == "script_finished":
            return fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return False


def trigger(proto):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=proto.id, trigger_value=True)


def text_value(proto, value: str):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=proto.id, string_value=value)


def choice(proto, label: str):
    """A segmented control's value (its option's label)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=proto.id)
    state.string_array_value.data.append(label)
    return state


def component_event(proto, event: str, value: Any):
    """A ``st.components.v2`` component's one-run trigger (what ``setTriggerValue`` sends)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(
        id=f"$$STREAMLIT_INTERNAL_KEY_{proto.id}__events",
        json_trigger_value=json.dumps([{"event": event, "value": value}]),
    )


# --- what a CSM does -------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """What the sessions need to know of the workspace, read from the copy before the start."""

    csms: list[tuple[int, str]]  # (id, name)
    free_stages: dict[int, list[int]]  # pipeline id -> stages with no required properties
    dashboard: str | None  # the first dashboard on a CSM's Dashboards tab
    daily_due: bool


class Session:
    def __init__(self, client: Client, name: str, rng: random.Random, ws: Workspace,
                 counter: list[int]) -> None:  # fmt: skip
        self.c, self.name, self.rng, self.ws, self.counter = client, name, rng, ws, counter

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*THINK_S))

    def asked(self, change: Change) -> Change:
        self.c.stats.changes.append(change)
        return change

    async def run(self, deadline: float) -> None:
        flows = [f for f, _ in MIX]
        weights = [w for _, w in MIX]
        while time.monotonic() < deadline:
            try:
                if self.c.ws is None:
                    await self.c.connect()
                    await self.think()
                await getattr(self, self.rng.choices(flows, weights)[0])()
            except Broken:
                await self.c.close()
            await self.think()
        await self.c.close()

    async def summary(self) -> None:
        await self.c.goto("Summary", "open Summary")
        done = self.c.keys(r"summary\.tasks\.done\.(\d+)")
        if done and self.rng.random() < 0.5:
            found = self.rng.choice(done)
            await self.think()
            change = self.asked(Change("task", "tasks", int(found[1])))
            await self.c.rerun(
                "complete a task (Summary)", widgets=[trigger(self.c.widget(found[0]))]
            )
            change.acked = any(t.startswith("Completed") for t in self.c.toasts)

    async def customers(self) -> None:
        c = self.c
        if c.page != "Customers":
            await c.goto("Customers", "open Customers")
            await self.think()
        views = c.keys(r"customers\.view\.(\d+)")
        if views:
            await c.rerun("open a view", widgets=[trigger(c.widget(self.rng.choice(views)[0]))])
        table = c.widget("customers.table")
        rows = rows_of(table) if table is not None else []
        if not rows or self.rng.random() < 0.25:
            return
        index = self.rng.randrange(len(rows))
        selection = {"selection": {"rows": [index], "columns": [], "cells": []}}
        await self.think()
        await c.rerun("record preview", widgets=[text_value(table, json.dumps(selection))])
        record_id = rows[index]["id"]
        mine = rows[index].get("Customer Success Manager") == self.name
        if not mine or self.rng.random() < 0.3:
            return
        await self.edit(record_id)

    async def edit(self, record_id: int) -> None:
        c = self.c
        pattern = rf"customers\.edit\.value\.{record_id}\.(\w+)"
        found = c.keys(pattern)
        if found and found[0][1] != EDIT_PROPERTY and (prop := c.widget("customers.edit.prop")):
            await self.think()
            await c.rerun("choose a property", widgets=[text_value(prop, EDIT_LABEL)])
            found = c.keys(pattern)
        save = c.widget("customers.edit.save")
        if not found or found[0][1] != EDIT_PROPERTY or save is None:
            return
        self.counter[0] += 1
        value = 100_000 + self.counter[0]  # one value per edit, so each history row is known
        await self.think()
        box = c.widget(found[0][0])
        change = self.asked(Change("property", "companies", record_id, value))
        await c.rerun("edit a property", widgets=[text_value(box, str(value)), trigger(save)])
        change.acked = any("saved" in t for t in c.toasts)
        if not change.acked:
            c.stats.refused["edit a property"] += 1

    async def actions(self) -> None:
        c = self.c
        await c.goto("Actions", "open Actions", "view=open")
        grids = c.keys(r"actions\.grid\..+")
        rows = rows_of(c.widget(grids[0][0])) if grids else []
        if not rows:
            return
        edits = {"edited_rows": {"0": {"Select": True}}, "added_rows": [], "deleted_rows": []}
        await self.think()
        await c.rerun("tick a task", widgets=[text_value(c.widget(grids[0][0]), json.dumps(edits))])
        button = c.widget("actions.bulk.complete")
        if button is None:
            return
        await self.think()
        change = self.asked(Change("task", "tasks", int(rows[0]["id"])))
        await c.rerun("complete a task (Actions)", widgets=[trigger(button)])
        change.acked = any("1 task marked complete" in t for t in c.toasts)
        if not change.acked:
            c.stats.refused["complete a task (Actions)"] += 1

    async def board(self) -> None:
        c = self.c
        if self.rng.random() < 0.6:
            prefix, obj = "services", "services"
            await c.goto("Services", "open a board (Services)")
        else:
            prefix, obj = "revenue.deals", "deals"
            await c.goto("Revenue", "open Revenue")
            picker = c.widget("revenue.object")
            if picker is None:
                return
            await self.think()
            await c.rerun("open a board (Revenue deals)", widgets=[choice(picker, "Deals")])
        boards = c.keys(rf"{re.escape(prefix)}\.board\.(\d+)")
        if not boards:
            return
        component = c.widget(boards[0][0])
        columns = json.loads(component.json)["columns"]
        cards = [(card, col["id"]) for col in columns for card in col["cards"]
                 if self.name in card["sub"]]  # fmt: skip
        if not cards:
            return
        card, stage = self.rng.choice(cards)
        targets = [s for s in self.ws.free_stages.get(int(boards[0][1]), []) if s != stage]
        if not targets:
            return
        to = self.rng.choice(targets)
        move = {"record": card["id"], "from": stage, "to": to, "at": int(time.time() * 1000)}
        await self.think()
        change = self.asked(Change("move", obj, int(card["id"]), to))
        await c.rerun("move a card", widgets=[component_event(component, "move", move)])
        change.acked = any("moved to" in t for t in c.toasts)
        if not change.acked:
            c.stats.refused["move a card"] += 1
            if cancel := c.widget(f"{prefix}.move.cancel"):
                await c.rerun("cancel a move", widgets=[trigger(cancel)])

    async def dashboard(self) -> None:
        await self.c.goto("Dashboards", "open a dashboard")


async def warm_up(url: str, user_id: int, stats: Stats) -> None:
    """A CSM opens every tab once and a settings manager Settings (untimed): the server's
    imports and caches, as on a server that has been up for a while."""
    tabs = {user_id: ("Customers", "Services", "Revenue", "Actions", "Dashboards", "Summary"),
            SETTINGS_MANAGER_ID: ("Settings",)}  # fmt: skip
    scratch = Stats()
    for user, titles in tabs.items():
        client = Client(url, user, scratch)
        try:
            await client.connect("warm-up")
            for title in titles:
                await client.goto(title, "warm-up")
        finally:
            await client.close()
    if scratch.errors:
        stats.side["warm-up"] = f"{sum(scratch.errors.values())} errors (printed above)"


async def run_now(url: str, stats: Stats, at: float) -> None:
    """A settings manager opens Settings → Health scores and presses the daily job's Run now."""
    client = Client(url, SETTINGS_MANAGER_ID, stats)
    try:
        await client.connect(MANAGER)
        await client.goto("Settings", MANAGER, "section=health")
        button = client.widget("settings.daily.run")
        if button is None:
            stats.side["daily job"] = "no Run now button on Settings → Health scores"
            return
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        start, began = time.perf_counter(), time.monotonic()
        await client.rerun(DAILY, widgets=[trigger(button)])
        stats.windows["the daily job's Run now"] = (began, time.monotonic())
        toast = next(iter(client.toasts), "no toast")
        stats.side["daily job"] = f"Run now took {time.perf_counter() - start:.1f} s: {toast}"
    except Broken:
        stats.side["daily job"] = "Run now failed (see the errors)"
    finally:
        await client.close()


async def backup(path: Path, folder: Path, stats: Stats, at: float) -> None:
    """``python -m cs_core backup`` during the load, when the command exists."""
    cli = [sys.executable, "-m", "cs_core", "backup"]
    helped = await asyncio.create_subprocess_exec(*cli, "--help", cwd=ROOT, stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT)  # fmt: skip
    text = (await helped.communicate())[0].decode(errors="replace")
    if helped.returncode != 0:
        stats.side["backup"] = "skipped: `python -m cs_core backup --help` fails (no such command)"
        return
    args = ["--db", str(path)]
    if dest := next((o for o in ("--to", "--dest", "--dir", "--folder", "--out", "--output")
                     if re.search(rf"{o}\b", text)), None):  # fmt: skip
        args += [dest, str(folder / "backups")]
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    start, began = time.perf_counter(), time.monotonic()
    proc = await asyncio.create_subprocess_exec(*cli, *args, cwd=ROOT, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        out = (await asyncio.wait_for(proc.communicate(), 120))[0].decode(errors="replace")
    except TimeoutError:
        proc.kill()
        out = "(stopped after 120 s)"
    stats.windows["the backup"] = (began, time.monotonic())
    last = out.strip().splitlines()[-1:] or [""]
    stats.side["backup"] = (f"`backup {' '.join(args)}` exit {proc.returncode} after "
                            f"{time.perf_counter() - start:.1f} s: {last[0][:200]}")  # fmt: skip


# --- the Chromium canary -----------------------------------------------------------------

# Armed before each click: the time of the next mouse press and of the first animation frame
# after it that shows a heading matching the pattern, not stale (browser clock, ms).
ARM_JS = """(pattern) => {
    const b = window.__load = {clickAt: null, doneAt: null};
    const re = new RegExp(pattern);
    const shown = () => [...document.querySelectorAll('h1')]
        .some(h => !h.closest('[data-stale="true"]') && re.test((h.innerText || '').trim()));
    window.addEventListener('pointerdown', () => { if (b.clickAt === null) b.clickAt = Date.now(); },
                            {capture: true, once: true});
    const frame = () => {
        if (b.clickAt !== null && shown()) { b.doneAt = Date.now(); return; }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


async def canary(url: str, user_id: int, ws: Workspace, stats: Stats,
                 rng: random.Random, ready: asyncio.Event, go: asyncio.Future) -> None:  # fmt: skip
    """One Chromium tab going round Customers, Dashboards and the Summary by the top bar:
    from the click to the page's heading on screen. The browser starts and shows its first
    page before the load (``ready``), as a person's browser is open already; ``go`` gives
    the load's deadline."""
    if not CHROMIUM.exists():
        stats.side["canary"] = f"skipped: no {CHROMIUM}"
        ready.set()
        return
    from playwright.async_api import async_playwright

    steps = [("Customers", r"^Owned by me$"), ("Summary", r"^Good (morning|afternoon|evening), ")]
    if ws.dashboard:
        steps.insert(1, ("Dashboards", f"^{re.escape(ws.dashboard)}$"))
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await (
                await browser.new_context(viewport={"width": 1440, "height": 900})
            ).new_page()
            page.set_default_timeout(RUN_TIMEOUT_S * 1000)
            await page.goto(f"{url}/?as={user_id}")
            await page.get_by_role("heading", name=re.compile(steps[-1][1])).wait_for()
            idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
            await idle.wait_for(state="attached")
            ready.set()
            deadline = await go
            while time.monotonic() < deadline:
                for title, heading in steps:
                    if time.monotonic() >= deadline:
                        break
                    await page.evaluate(ARM_JS, heading)
                    nav = page.get_by_role("navigation", name="App pages")
                    await nav.get_by_role("link", name=title, exact=True).click()
                    await page.wait_for_function("() => window.__load.doneAt !== null")
                    clicked, shown = await page.evaluate("() => [__load.clickAt, __load.doneAt]")
                    stats.canary.append((f"Chromium: open {title}", (shown - clicked) / 1000))
                    await idle.wait_for(state="attached")
                    if await page.get_by_test_id("stException").count():
                        stats.error(f"Chromium: open {title}", "an exception is shown in Chromium")
                    await asyncio.sleep(rng.uniform(*THINK_S))
            await browser.close()
    except Exception as exc:
        stats.error("Chromium canary", f"the Chromium session failed: {exc}".splitlines()[0])
    finally:
        ready.set()
    if not stats.canary:
        stats.side["canary"] = (
            "Chromium opened no tab before the end (the first page took too long)"
        )


# --- the server, the workspace and the figures -------------------------------------------


def copy_workspace(source: Path, folder: Path) -> Path:
    path = folder / source.name
    subprocess.run(["cp", "--sparse=always", str(source), str(path)], check=True)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        subprocess.run(["cp", str(wal), f"{path}.wal"], check=True)
    return path


def read_workspace(path: Path, now: datetime) -> Workspace:
    from cs_core import daily, dashboards, db, users

    con = db.open_workspace(path)  # migrated here, as the app would at its start
    try:
        csms = [(u.id, u.name) for u in users.list_users(con) if u.role == "CSM"]
        csms.sort(key=lambda u: (u[0] != 4, u[0]))  # user 4 first, as in the other benches
        free: dict[int, list[int]] = {}
        for pipe, stage, required in con.execute(
            "SELECT pipeline_id, id, required_properties FROM stages ORDER BY pipeline_id, position"
        ).fetchall():
            if not json.loads(required):
                free.setdefault(pipe, []).append(stage)
        viewer = users.get_user(con, csms[0][0])
        shown = dashboards.placements(con, viewer=viewer)
        return Workspace(csms, free, shown[0].dashboard.name if shown else None,
                         daily.is_due(con, now))  # fmt: skip
    finally:
        con.close()


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def check_acked(path: Path, changes: list[Change]) -> list[str]:
    """What of the acknowledged changes is not in the file: each one's history row (a task: its
    completion), and each record's value that of its last acknowledged change (or of a change
    asked for after it that timed out, which may have been made)."""
    con = duckdb.connect(str(path), read_only=True)
    lost: list[str] = []
    try:
        for c in changes:
            if not c.acked:
                continue
            if c.kind == "task":
                done = con.execute("SELECT completed_at FROM tasks WHERE id = ?", [c.record_id])
                if (done.fetchone() or [None])[0] is None:
                    lost.append(f"task {c.record_id} is not completed")
                continue
            prop = EDIT_PROPERTY if c.kind == "property" else "stage_id"
            history = con.execute(
                "SELECT count(*) FROM property_history WHERE object = ? AND record_id = ? "
                "AND property = ? AND new_value = ?",
                [c.object, c.record_id, prop, str(c.value)],
            ).fetchone()[0]
            if not history:
                lost.append(f"{c.object} {c.record_id}: no history row for {prop} = {c.value}")
        final: dict[tuple, set] = {}  # record -> the values it may hold now
        for c in changes:
            key = (c.object, c.record_id, EDIT_PROPERTY if c.kind == "property" else "stage_id")
            if c.kind != "task" and (c.acked or key in final):
                final[key] = {c.value} if c.acked else final[key] | {c.value}
        for (obj, record_id, prop), values in final.items():
            now = con.execute(f'SELECT "{prop}" FROM "{obj}" WHERE id = ?', [record_id]).fetchone()
            held = None if now is None or now[0] is None else int(now[0])
            if held not in values:
                lost.append(f"{obj} {record_id}: {prop} is {held}, not {sorted(values)}")
    finally:
        con.close()
    return lost


def server_runs(timing_log: Path, start: float, end: float) -> str:
    """The script runs that ended in the sessions' time (the app's CS_TIMING_LOG): how many and
    how long each ran on the server, which the latencies above add queueing to."""
    lines = timing_log.read_text().splitlines() if timing_log.exists() else []
    fields = [line.split() for line in lines]
    ended = [f for f in fields if start <= float(f[0]) <= end]
    runs = [float(f[1]) / 1000 for f in ended]
    if not runs:
        return "none logged"
    waits = [float(f[2]) / 1000 for f in ended if len(f) > 2]
    waited = (f"; of it waiting for a turn (a few runs at once): {ms(percentile(waits, 0.5))} p50, "
              f"{ms(percentile(waits, 0.95))} p95" if waits else "")  # fmt: skip
    by_page: dict[str, list[float]] = {}
    for f in ended:
        if len(f) > 4:
            by_page.setdefault(f[4], []).append(float(f[3]) / 1000)
    spent = sum(sum(v) for v in by_page.values())
    pages = "; ".join(
        f"{page} {len(cpu):,} runs, {ms(percentile(cpu, 0.5))} p50, {100 * sum(cpu) / spent:.0f} %"
        for page, cpu in sorted(by_page.items(), key=lambda kv: -sum(kv[1]))
    )
    per_page = (f". Their threads' CPU time by page ({spent:.0f} s in all): {pages}"
                if spent else "")  # fmt: skip
    return (f"{len(runs):,} script runs ended, each {ms(percentile(runs, 0.5))} p50 and "
            f"{ms(percentile(runs, 0.95))} p95 from its start to its end, {sum(runs):.0f} s in all"
            + waited + per_page)  # fmt: skip


def job_runs(path: Path, since: datetime) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT trigger, status, records_scored, epoch(finished_at - started_at) FROM job_runs "
            "WHERE started_at >= ? ORDER BY started_at", [since.replace(tzinfo=None)],
        ).fetchall()  # fmt: skip
    finally:
        con.close()
    return [f"{t} run: {s}, {n or 0:,} records scored in {sec or 0:.1f} s" for t, s, n, sec in rows]


async def load(url: str, args, ws: Workspace, stats: Stats, path: Path, folder: Path,
               server_pid: int) -> tuple[float, dict[str, float]]:  # fmt: skip
    """The sessions, the canary, Run now and the backup. Returns how long the sessions ran (from
    the start to the end of their last interaction) and the CPU used meanwhile."""
    rng = random.Random(args.seed)
    canary_user = ws.csms[args.sessions % len(ws.csms)][0]
    ready, go = asyncio.Event(), asyncio.get_running_loop().create_future()
    side: list[asyncio.Task] = []
    if "canary" not in args.without:
        side.append(asyncio.create_task(
            canary(url, canary_user, ws, stats, random.Random(rng.random()), ready, go)))  # fmt: skip
    if side:  # the browser open on its first page before the load starts
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), START_TIMEOUT_S)
    start = time.monotonic()
    deadline = start + args.seconds
    go.set_result(deadline)
    stats.started = start
    cpu_before = cpu_seconds([server_pid]), time.process_time(), machine_busy()
    counter = [0]
    sessions = []
    for i in range(args.sessions):
        user_id, name = ws.csms[i % len(ws.csms)]
        rng_i = random.Random(rng.random())
        sessions.append(Session(Client(url, user_id, stats), name, rng_i, ws, counter))

    async def staggered(session: Session) -> None:
        await asyncio.sleep(session.rng.uniform(0, THINK_S[1]))
        await session.run(deadline)

    if "run-now" not in args.without:
        side.append(asyncio.create_task(run_now(url, stats, start + RUN_NOW_AT * args.seconds)))
    if "backup" not in args.without:
        side.append(
            asyncio.create_task(backup(path, folder, stats, start + BACKUP_AT * args.seconds))
        )
    await finish(stats, [asyncio.create_task(staggered(s)) for s in sessions], deadline + SETTLE_S)
    length = time.monotonic() - start
    busy, total = machine_busy()
    cpu = {"server": cpu_seconds([server_pid]) - cpu_before[0],
           "load script": time.process_time() - cpu_before[1],
           "machine": (busy - cpu_before[2][0]) / max(1, total - cpu_before[2][1])}  # fmt: skip
    await finish(stats, side, time.monotonic() + SETTLE_S)
    return length, cpu


async def finish(stats: Stats, tasks: list[asyncio.Task], until: float) -> None:
    """Wait for ``tasks`` until ``until`` (monotonic); any left then is stopped, as an error."""
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, until - time.monotonic()))
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            stats.error("load script", f"{task.exception()!r}")
    if pending:
        stats.error("load script", f"{len(pending)} tasks still busy after the end; stopped")


@contextlib.contextmanager
def serve(path: Path, port: int, folder: Path):
    """The app as ``make run`` starts it, on ``path`` at 127.0.0.1:``port``, with each run's
    server time logged to ``folder/timing.log``: (url, process, log); stopped on leaving.

    Its file watcher is off: a source file saved while it serves (in a working tree others edit)
    would make every session evict the app's modules at its next run while other sessions are
    importing or pickling them, which is not what this measures."""
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.launch", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
    env = {
        k: v for k, v in os.environ.items() if k not in ("CS_NOW", "CS_DEMO_USER", "CS_TIMING_LOG")
    }
    env.update(
        CS_WORKSPACE_DB=str(path), CS_SCHEDULER="on", CS_TIMING_LOG=str(folder / "timing.log")
    )
    with open(folder / "server.log", "w+b") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, proc, log, deadline=time.perf_counter() + START_TIMEOUT_S)
            yield url, proc, log
        finally:
            stop(proc)


def _row(name: str, times: list[float], errors: int) -> list[str]:
    return [name, f"{len(times):,}", ms(percentile(times, 0.5)), ms(percentile(times, 0.95)),
            ms(max(times)), f"{errors:,}"]  # fmt: skip


def report(stats: Stats, length: float, cpu: dict[str, float], args) -> None:
    order = [k for k, _, _ in stats.samples]
    kinds = sorted(set(order), key=lambda k: (k in SIDE_KINDS, order.index(k)))
    mix = [s for k, _, s in stats.samples if k not in SIDE_KINDS]
    rows = [
        _row(k, [s for n, _, s in stats.samples if n == k], stats.errors.get(k, 0)) for k in kinds
    ]
    if mix:
        mix_errors = sum(n for k, n in stats.errors.items() if k not in SIDE_KINDS)
        rows.insert(
            len(set(order) - SIDE_KINDS), _row("overall (the sessions' mix)", mix, mix_errors)
        )
    for kind in sorted({k for k, _ in stats.canary}):
        rows.append(
            _row(kind, [s for k, s in stats.canary if k == kind], stats.errors.get(kind, 0))
        )
    print()
    print(f"Load: {args.sessions} sessions for {args.seconds:g} s at scale {args.scale} (seed {args.seed}), "
          f"think time {THINK_S[0]}-{THINK_S[1]} s")  # fmt: skip
    print(table(["interaction", "count", "p50", "p95", "max", "errors"], rows, {1, 2, 3, 4, 5}))
    print()
    print(f"Throughput: {len(mix):,} interactions of the sessions in {length:.1f} s = "
          f"{len(mix) / length:.1f} per second")  # fmt: skip
    print(f"Errors: {sum(stats.errors.values()):,}" + (
        " (" + ", ".join(f"{k}: {n}" for k, n in stats.errors.items()) + ")" if stats.errors else ""))  # fmt: skip
    if stats.refused:
        print("Refused by the app (no confirmation): "
              + ", ".join(f"{k}: {n}" for k, n in stats.refused.items()))  # fmt: skip
    print(f"CPU ({os.cpu_count()} cores, over {length:.1f} s): " + ", ".join(
        f"{name} {sec:.1f} s ({sec / length:.0%} of one core)" for name, sec in cpu.items() if name != "machine"
    ) + f"; the whole machine {cpu['machine']:.0%} busy")  # fmt: skip
    for name, text in stats.side.items():
        print(f"Beside the load, {name}: {text}")
    mine = [(t, sec) for k, t, sec in stats.samples if k not in SIDE_KINDS]
    by_ten = Counter(int((t - stats.started) // 10) for t, _ in mine)
    print("The sessions' interactions by the 10 s they started in: " + "; ".join(
        f"{10 * n}-{10 * n + 10} s: {by_ten[n]:,}, p95 "
        + ms(percentile([sec for t, sec in mine if int((t - stats.started) // 10) == n], 0.95))
        for n in sorted(by_ten)))  # fmt: skip
    spans = {f"while {name} ran": [w] for name, w in stats.windows.items()}
    if spans:
        spans["at other times"] = []
    for name, windows in spans.items():
        during = [sec for t, sec in mine if any(t < b and t + sec > a for a, b in windows)]
        if not windows:  # at other times: overlapping no window
            during = [sec for t, sec in mine
                      if not any(t < b and t + sec > a for a, b in stats.windows.values())]  # fmt: skip
        if during:
            print(f"The sessions' interactions {name}: {len(during):,}, p50 "
                  f"{ms(percentile(during, 0.5))}, p95 {ms(percentile(during, 0.95))}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from bench.run import SCALES

    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scale", choices=list(SCALES), default="M")
    parser.add_argument("--port", type=int, help="the app's port (default: a free one)")
    parser.add_argument("--seed", type=int, default=SEED, help="the sessions' choices")
    parser.add_argument("--sessions-only", action="store_true",
                        help="without the canary, Run now and the backup (to profile the sessions' own load)")  # fmt: skip
    parser.add_argument("--without", action="append", choices=SIDE_WORK, default=[],
                        help="leave one thing out beside the sessions (repeatable; to see what each costs)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.sessions_only:
        args.without = list(SIDE_WORK)
    if args.sessions < 1 or args.seconds <= 0:
        parser.error("--sessions and --seconds must be positive")
    now = datetime.now(UTC)
    source = WORKSPACES / f"{args.scale}.duckdb"
    if not source.exists():  # built once by bench.run's own means (a minute at M)
        source = ensure_workspace(args.scale, False, now, Results())
    port = args.port or free_port()
    if port_in_use(port):
        parser.error(f"port {port} is in use already; pass another with --port")
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-load-"))
    stats = Stats()
    try:
        path = copy_workspace(source, folder)
        ws = read_workspace(path, now)
        with serve(path, port, folder) as (url, proc, log):
            say(f"Serving a copy of {source.name} at {url}; warming up…")
            asyncio.run(warm_up(url, ws.csms[args.sessions % len(ws.csms)][0], stats))
            if ws.daily_due:  # the scheduler's missed run at start: before the load, not in it
                wait_for_line(log, b"Daily health run", 180, stats)
            say(f"Load: {args.sessions} sessions for {args.seconds:g} s…")
            since, began = datetime.now(UTC), time.time()
            length, cpu = asyncio.run(load(url, args, ws, stats, path, folder, proc.pid))
        server_log = (folder / "server.log").read_text(errors="replace")
        traces = server_log.count("Traceback (most recent call last)")
        stats.side["the server's log"] = f"{traces} tracebacks" if traces else "no traceback"
        if traces:
            first = server_log.index("Traceback (most recent call last)")
            say(f"\nThe server's first traceback:\n{server_log[first : first + 3000]}")
        stats.side["the server's runs"] = server_runs(folder / "timing.log", began, began + length)
        runs = job_runs(path, since)
        stats.side["daily job runs"] = "; ".join(runs) or "none"
        lost = check_acked(path, stats.changes)
        report(stats, length, cpu, args)
        kinds = Counter(c.kind for c in stats.changes if c.acked)
        unconfirmed = sum(not c.acked for c in stats.changes)
        print(f"Lost edits: {len(lost)} of {kinds.total():,} acknowledged changes ({kinds['property']:,} property "
              f"edits with their history rows, {kinds['task']:,} tasks completed, {kinds['move']:,} cards "
              f"moved), read from the workspace file after the server stopped; {unconfirmed:,} more "
              "asked for without a confirmation")  # fmt: skip
        for line in lost[:20]:
            print(f"  LOST: {line}")
        return 1 if lost or stats.errors else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_line(log, text: bytes, seconds: float, stats: Stats) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log.seek(0)
        found = [line for line in log.read().splitlines() if text in line]
        if found:
            stats.side["the scheduler at start"] = found[0].decode(errors="replace").strip()
            return
        time.sleep(0.5)
    stats.side["the scheduler at start"] = f"no daily run reported within {seconds:.0f} s"


if __name__ == "__main__":
    sys.exit(main())

"""Dashboards (DSH-1, DSH-2): named, ordered sets of saved reports, each a third, a half or the
full width of a row; and the workspace's Dashboards tab: which dashboards it shows, in which
order, to everyone or to chosen teams. Removing a dashboard from the tab keeps it.

Who may create and edit them and manage the tab follows U-4 (Action.EDIT_REPORTS). Edits of a
dashboard's reports are a compare-and-set on the version the editor opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import clock, db
from cs_core.errors import Problems
from cs_core.reports.saved import NEXT_STAMP
from cs_core.users import Action, User, require

WIDTHS = {"third": "A third", "half": "Half", "full": "Full width"}
EVERYONE = 0  # dashboard_access.team_id for "everyone"
MAX_NAME = 200


class DashboardError(Problems):
    """A dashboard edit that cannot be made; ``problems`` names each reason."""


@dataclass(frozen=True)
class Tile:
    report_id: int
    report_name: str
    width: str


@dataclass(frozen=True)
class Dashboard:
    id: int
    name: str
    owner_id: int | None
    updated_at: datetime
    tiles: tuple[Tile, ...]


@dataclass(frozen=True)
class Placement:
    """A dashboard on the workspace's tab: its place and who sees it (team ids; empty: everyone)."""

    dashboard: Dashboard
    position: int
    team_ids: tuple[int, ...]
    team_names: tuple[str, ...]

    @property
    def everyone(self) -> bool:
        return not self.team_ids

    @property
    def audience(self) -> str:
        return "Everyone" if self.everyone else ", ".join(self.team_names)


def _tiles(con, ids: list[int]) -> dict[int, tuple[Tile, ...]]:
    found: dict[int, list[Tile]] = {i: [] for i in ids}
    if ids:
        rows = con.execute(
            "SELECT d.dashboard_id, d.report_id, r.name, coalesce(d.width, 'half') FROM dashboard_reports d "
            "JOIN reports r ON r.id = d.report_id WHERE d.dashboard_id IN (SELECT unnest(?)) ORDER BY d.position",
            [ids],
        ).fetchall()  # fmt: skip
        for dash, rid, name, width in rows:
            found[dash].append(Tile(rid, name, width))
    return {k: tuple(v) for k, v in found.items()}


def _dashboards(con, where: str = "", params: list | None = None) -> list[Dashboard]:
    rows = con.execute(
        f"SELECT id, name, owner_id, updated_at FROM dashboards {where} ORDER BY lower(name), id",  # noqa: S608 (fixed text)
        params or [],
    ).fetchall()
    tiles = _tiles(con, [r[0] for r in rows])
    return [Dashboard(r[0], r[1], r[2], r[3], tiles[r[0]]) for r in rows]


def list_dashboards(con: duckdb.DuckDBPyConnection) -> list[Dashboard]:
    return _dashboards(con)


def get(con: duckdb.DuckDBPyConnection, dashboard_id: int) -> Dashboard | None:
    found = _dashboards(con, "WHERE id = ?", [dashboard_id])
    return found[0] if found else None


def _clean_name(cur, name, dashboard_id: int | None) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise DashboardError(["Give the dashboard a name."])
    if len(name) > MAX_NAME:
        raise DashboardError([f"A dashboard's name is at most {MAX_NAME} characters."])
    taken = cur.execute("SELECT 1 FROM dashboards WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                        [name, dashboard_id]).fetchone()  # fmt: skip
    if taken:
        raise DashboardError([f"There is already a dashboard named {name!r}."])
    return name


def create(con: duckdb.DuckDBPyConnection, *, actor: User, name: str, now: datetime,
           report_ids: tuple[int, ...] = ()) -> Dashboard:  # fmt: skip
    require(actor, Action.EDIT_REPORTS)
    stamp = clock.utc_naive(now)

    def _write(cur) -> int:
        clean = _clean_name(cur, name, None)
        new = db.new_id(cur, "dashboards")
        cur.execute(
            "INSERT INTO dashboards VALUES (?, ?, ?, ?, ?)", [new, clean, actor.id, stamp, stamp]
        )
        _write_tiles(cur, new, [(r, "half") for r in report_ids])
        return new

    return get(con, db.write(con, _write))


def _write_tiles(cur, dashboard_id: int, tiles: list[tuple[int, str]]) -> None:
    problems = []
    ids = [int(r) for r, _ in tiles]
    if len(set(ids)) != len(ids):
        problems.append("A report is on a dashboard once.")
    for _, width in tiles:
        if width not in WIDTHS:
            problems.append(f"Unknown width {width!r}: choose {', '.join(WIDTHS)}.")
    known = {
        r[0]
        for r in cur.execute(
            "SELECT id FROM reports WHERE id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    }
    if missing := [i for i in ids if i not in known]:
        problems.append(f"{len(missing)} of these reports were deleted: reload the dashboard.")
    if problems:
        raise DashboardError(problems)
    cur.execute("DELETE FROM dashboard_reports WHERE dashboard_id = ?", [dashboard_id])
    for position, (rid, width) in enumerate(tiles):
        cur.execute("INSERT INTO dashboard_reports (dashboard_id, report_id, position, width) VALUES (?, ?, ?, ?)",
                    [dashboard_id, int(rid), position, width])  # fmt: skip


def save(con: duckdb.DuckDBPyConnection, *, actor: User, dashboard_id: int, name: str,
         tiles: list[tuple[int, str]], opened_at: datetime, now: datetime) -> Dashboard:  # fmt: skip
    """The dashboard's name and reports (in order, with widths) as the editor left them: refused
    when someone saved it since ``opened_at`` (their version stays)."""
    require(actor, Action.EDIT_REPORTS)
    stamp = clock.utc_naive(now)

    def _write(cur) -> None:
        clean = _clean_name(cur, name, dashboard_id)
        if not db.affected(cur, f"UPDATE dashboards SET name = ?, updated_at = {NEXT_STAMP} WHERE id = ? "
                                "AND updated_at = ?", [clean, stamp, dashboard_id, opened_at]):  # fmt: skip
            gone = (
                cur.execute("SELECT 1 FROM dashboards WHERE id = ?", [dashboard_id]).fetchone()
                is None
            )
            raise DashboardError(["That dashboard was deleted." if gone else
                                  "Someone saved this dashboard since you opened it: reload it to see their changes."])  # fmt: skip
        _write_tiles(cur, dashboard_id, tiles)

    db.write(con, _write)
    return get(con, dashboard_id)


def delete(con: duckdb.DuckDBPyConnection, *, actor: User, dashboard_id: int) -> None:
    """The dashboard, its places and its access; its reports stay."""
    require(actor, Action.EDIT_REPORTS)

    def _write(cur) -> None:
        for table in ("dashboard_reports", "dashboard_access", "workspace_dashboards"):
            cur.execute(f"DELETE FROM {table} WHERE dashboard_id = ?", [dashboard_id])  # noqa: S608 (fixed names)
        if not db.affected(cur, "DELETE FROM dashboards WHERE id = ?", [dashboard_id]):
            raise DashboardError(["That dashboard was deleted."])

    db.write(con, _write)


# --- the workspace's Dashboards tab (DSH-1) ---------------------------------------------


def add_to_workspace(con: duckdb.DuckDBPyConnection, *, actor: User, dashboard_id: int, team_ids: tuple[int, ...],
                     everyone: bool, confirmed: bool, now: datetime) -> None:  # fmt: skip
    """Show a dashboard on the tab for everyone or for the chosen teams, once the actor confirmed
    that those users get view access. A dashboard already there keeps its place and gets the new
    access."""
    require(actor, Action.EDIT_REPORTS)
    stamp = clock.utc_naive(now)
    problems = []
    if not everyone and not team_ids:
        problems.append("Choose everyone or at least one team.")
    if not confirmed:
        problems.append("Tick “I confirm that these users get view access” to add the dashboard.")
    if problems:
        raise DashboardError(problems)

    def _write(cur) -> None:
        if cur.execute("SELECT 1 FROM dashboards WHERE id = ?", [dashboard_id]).fetchone() is None:
            raise DashboardError(["That dashboard was deleted."])
        teams = [] if everyone else sorted({int(t) for t in team_ids})
        known = {
            r[0]
            for r in cur.execute(
                "SELECT id FROM teams WHERE id IN (SELECT unnest(?))", [teams]
            ).fetchall()
        }
        if missing := [t for t in teams if t not in known]:
            raise DashboardError(
                [f"{len(missing)} of the chosen teams no longer exist: choose again."]
            )
        cur.execute("DELETE FROM dashboard_access WHERE dashboard_id = ?", [dashboard_id])
        for team in teams or [EVERYONE]:
            cur.execute(
                "INSERT INTO dashboard_access VALUES (?, ?, ?, ?)",
                [dashboard_id, team, actor.id, stamp],
            )
        cur.execute(
            "INSERT INTO workspace_dashboards SELECT ?, coalesce(max(position) + 1, 0), ?, ? FROM workspace_dashboards "
            "ON CONFLICT (dashboard_id) DO NOTHING", [dashboard_id, actor.id, stamp])  # fmt: skip

    db.write(con, _write)


def remove_from_workspace(
    con: duckdb.DuckDBPyConnection, *, actor: User, dashboard_id: int
) -> None:
    require(actor, Action.EDIT_REPORTS)

    def _write(cur) -> None:
        cur.execute("DELETE FROM dashboard_access WHERE dashboard_id = ?", [dashboard_id])
        cur.execute("DELETE FROM workspace_dashboards WHERE dashboard_id = ?", [dashboard_id])

    db.write(con, _write)


def move_in_workspace(
    con: duckdb.DuckDBPyConnection, *, actor: User, dashboard_id: int, step: int
) -> None:
    """One place earlier (``step`` -1) or later (+1) on the tab."""
    require(actor, Action.EDIT_REPORTS)

    def _write(cur) -> None:
        order = [r[0] for r in cur.execute("SELECT dashboard_id FROM workspace_dashboards ORDER BY position, dashboard_id")
                 .fetchall()]  # fmt: skip
        if dashboard_id not in order:
            raise DashboardError(["That dashboard is no longer on the tab."])
        i = order.index(dashboard_id)
        j = max(0, min(len(order) - 1, i + step))
        order.insert(j, order.pop(i))
        for position, did in enumerate(order):
            cur.execute(
                "UPDATE workspace_dashboards SET position = ? WHERE dashboard_id = ?",
                [position, did],
            )

    db.write(con, _write)


def placements(con: duckdb.DuckDBPyConnection, *, viewer: User | None = None) -> list[Placement]:
    """The tab's dashboards in order; with ``viewer``, only those shown to them (everyone's, or
    their team's)."""
    rows = con.execute(
        "SELECT w.dashboard_id, w.position, list(a.team_id ORDER BY t.name) FILTER (WHERE a.team_id <> 0), "
        "list(t.name ORDER BY t.name) FILTER (WHERE a.team_id <> 0), bool_or(a.team_id = 0) "
        "FROM workspace_dashboards w JOIN dashboard_access a ON a.dashboard_id = w.dashboard_id "
        "LEFT JOIN teams t ON t.id = a.team_id GROUP BY ALL ORDER BY w.position, w.dashboard_id"
    ).fetchall()  # fmt: skip
    if viewer is not None:
        rows = [
            r
            for r in rows
            if r[4] or (viewer.team_id is not None and viewer.team_id in (r[2] or []))
        ]
    boards = {
        d.id: d for d in _dashboards(con, "WHERE id IN (SELECT unnest(?))", [[r[0] for r in rows]])
    }
    return [
        Placement(
            boards[r[0]], r[1], () if r[4] else tuple(r[2] or ()), () if r[4] else tuple(r[3] or ())
        )
        for r in rows
        if r[0] in boards
    ]

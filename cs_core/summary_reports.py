"""The reports on a user's Summary tab (SUM-7): up to five saved reports, in the order added,
chosen with "+ Add report" and removable. A user chooses their own; a super admin or settings
manager viewing as another user (SUM-8) may choose theirs."""

from __future__ import annotations

import duckdb

from cs_core import db
from cs_core.errors import Problems
from cs_core.reports import saved
from cs_core.summary import may_change
from cs_core.users import User

MAX_REPORTS = 5


class SummaryReportError(Problems):
    """A change to a Summary's reports that cannot be made; ``problems`` says why."""


def chosen(con: duckdb.DuckDBPyConnection, user_id: int) -> list[saved.Saved]:
    """The user's Summary reports, in their order."""
    ids = [r[0] for r in con.execute("SELECT report_id FROM summary_reports WHERE user_id = ? ORDER BY position",
                                     [user_id]).fetchall()]  # fmt: skip
    found = {s.id: s for s in (saved.get(con, i) for i in ids) if s is not None}
    return [found[i] for i in ids if i in found]


def add(con: duckdb.DuckDBPyConnection, *, actor: User, user_id: int, report_id: int) -> None:
    """Add a report last; a sixth is refused, as is one already there or one deleted."""
    may_change(actor, user_id)

    def _write(cur) -> None:
        have = [r[0] for r in cur.execute("SELECT report_id FROM summary_reports WHERE user_id = ?",
                                          [user_id]).fetchall()]  # fmt: skip
        if report_id in have:
            raise SummaryReportError(["That report is on the Summary already."])
        if len(have) >= MAX_REPORTS:
            raise SummaryReportError(
                [f"A Summary shows at most {MAX_REPORTS} reports: remove one to add another."]
            )
        if cur.execute("SELECT 1 FROM reports WHERE id = ?", [report_id]).fetchone() is None:
            raise SummaryReportError(["That report was deleted."])
        cur.execute("INSERT INTO summary_reports SELECT ?, ?, coalesce(max(position) + 1, 0) FROM summary_reports "
                    "WHERE user_id = ?", [user_id, report_id, user_id])  # fmt: skip

    db.write(con, _write)


def remove(con: duckdb.DuckDBPyConnection, *, actor: User, user_id: int, report_id: int) -> None:
    may_change(actor, user_id)
    db.write(con, lambda cur: cur.execute("DELETE FROM summary_reports WHERE user_id = ? AND report_id = ?",
                                          [user_id, report_id]))  # fmt: skip

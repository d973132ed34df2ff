"""Following records: a user follows the records they want to hear about (CUS-6)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from cs_core import clock, db
from cs_core.records import get_object
from cs_core.sql import ident
from cs_core.users import Action, User, require


def is_following(
    con: duckdb.DuckDBPyConnection, *, user: User, object_name: str, record_id: int
) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM follows WHERE user_id = ? AND object = ? AND record_id = ?",
            [user.id, object_name, record_id],
        ).fetchone()[0]
    )


def set_following(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str, record_id: int,
                  follow: bool, now: datetime) -> None:  # fmt: skip
    """Follow or unfollow a record (idempotent); a record merged or deleted meanwhile is refused."""
    require(actor, Action.USE_WORKSPACE)
    if get_object(con, object_name) is None:
        raise ValueError(f"There is no object {object_name!r}.")

    def _set(cur):
        if follow:
            exists = cur.execute(
                f"SELECT count(*) FROM {ident(object_name)} WHERE id = ?", [record_id]
            ).fetchone()[0]
            if not exists:
                raise ValueError("That record does not exist any more (it may have been merged).")
            cur.execute(
                "INSERT INTO follows VALUES (?, ?, ?, ?) ON CONFLICT (user_id, object, record_id) DO NOTHING",
                [actor.id, object_name, record_id, clock.utc_naive(now)],
            )
        else:
            cur.execute(
                "DELETE FROM follows WHERE user_id = ? AND object = ? AND record_id = ?",
                [actor.id, object_name, record_id],
            )

    db.write(con, _set)

"""Points where the crash tests kill a write: inert unless ``CS_KILL_AT`` is set.

``CS_KILL_AT=<point>:<n>`` makes the process kill itself with SIGKILL (no rollback, no
clean-up, no checkpoint: as a power cut or the out-of-memory killer would) the n-th time it
reaches ``<point>`` (without ``:<n>``, the first time). The points are in every write
transaction (:func:`cs_core.db.transaction`):

- ``write.<table>``: before a statement that writes ``<table>`` runs (during the write);
- ``commit``: every statement of the transaction done, before its COMMIT;
- ``committed``: right after COMMIT returned (the change is in the write-ahead log only).

The variable is read once, when this module is first imported; unset, each point is one
string comparison (no process is ever killed).
"""

from __future__ import annotations

import os
import signal

VARIABLE = "CS_KILL_AT"
_spec = os.environ.get(VARIABLE, "").strip()
_point, _, _times = _spec.rpartition(":") if ":" in _spec else (_spec, "", "1")
_at = int(_times) if _times.isdigit() else 0
_reached = 0


def reached(point: str) -> None:
    """Kill this process when ``point`` is the chosen one, reached the chosen time."""
    global _reached
    if point != _point or not _at:
        return
    _reached += 1
    if _reached == _at:
        os.kill(os.getpid(), signal.SIGKILL)

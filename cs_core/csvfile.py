"""The one CSV writer: every export, report download and problem report goes through it.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (and a leading tab or carriage return can hide one), so a value a
customer typed into a form could call a URL or a command on the reader's machine.
Every text cell that starts with one of those characters gets a leading ``'``,
which spreadsheets show as text; numbers, dates and booleans are written as they
are, so ``-2`` in a number column stays a number.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text value that cannot start a formula; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell made safe (a copy; number columns untouched).

    Column headings are cells too: a property label may come from a CSV header.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        out[name] = column.map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


# Lines end with CRLF (RFC 4180): a cell holding a carriage return or a line break is quoted,
# so it stays one cell (with "\n" endings, a lone "\r" in a cell was written bare).
_OPTIONS = {"index": False, "lineterminator": "\r\n"}


def to_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, made safe."""
    buffer = io.StringIO()
    neutralise(frame).to_csv(buffer, **_OPTIONS)
    return buffer.getvalue().encode("utf-8")


def write(frame: pd.DataFrame, path: str | Path) -> None:
    """The frame, made safe, to a CSV file."""
    Path(path).write_bytes(to_bytes(frame))

"""The one way to put a name or a fixed text into SQL, and the checks names and labels pass.

Values go into SQL as parameters. What cannot be a parameter (a table or column
name from the property catalog, a fixed text inside a generated expression) goes
through :func:`ident` or :func:`literal`, which quote it whatever it holds. Labels
are for people and never enter SQL: result columns are aliased by position or by
a validated internal name, and renamed to their labels in Python.

This folder also holds the numbered migrations (``migrations/``).
"""

from __future__ import annotations

import numbers
import re
import unicodedata

MAX_LABEL = 200
_INTERNAL = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class NameRefused(ValueError):
    """A name or label that cannot be used; the message says why."""


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (a double quote inside is doubled)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise NameRefused(f"{name!r} cannot name a table or column.")
    return '"' + name.replace('"', '""') + '"'


def col(alias: str, name: str) -> str:
    """A column of a table alias: ``r."name"``; the alias is a fixed word of the query."""
    if not _INTERNAL.match(alias):
        raise NameRefused(f"{alias!r} is not a table alias.")
    return f"{alias}.{ident(name)}"


def literal(text: str) -> str:
    """``text`` as a quoted SQL string literal (a single quote inside is doubled)."""
    if not isinstance(text, str) or "\x00" in text:
        raise NameRefused("That text cannot be used in a query.")
    return "'" + text.replace("'", "''") + "'"


def id_list(ids) -> str:
    """Record ids read from the workspace as an SQL list of integer literals, for ``IN (...)``
    (DuckDB prunes by them before reading a table; as parameters it reads every row group).
    Each id is checked to be an integer: nothing else can reach the SQL."""
    out = []
    for i in ids:
        if (
            isinstance(i, bool)
            or not isinstance(i, numbers.Integral)
            or not -(2**63) <= int(i) < 2**63
        ):
            raise NameRefused("A record id must be a whole number.")
        out.append(str(int(i)))
    return ", ".join(out) if out else "NULL"


def is_internal_name(name: object) -> bool:
    """Lower-case letters, digits and underscores: the shape of every stored internal name."""
    return isinstance(name, str) and bool(_INTERNAL.match(name))


def clean_label(text: object, *, what: str = "A label", max_length: int = MAX_LABEL,
                multiline: bool = False) -> str:  # fmt: skip
    """``text`` trimmed, or NameRefused when it is empty, too long or holds control characters
    (line breaks are allowed with ``multiline``)."""
    if not isinstance(text, str):
        raise NameRefused(f"{what} must be text.")
    label = text.strip()
    if not label:
        raise NameRefused(f"{what} cannot be empty.")
    if len(label) > max_length:
        raise NameRefused(
            f"{what} can have at most {max_length} characters ({len(label):,} given)."
        )
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in allowed
           for ch in label):  # fmt: skip
        raise NameRefused(f"{what} cannot hold control or invisible characters.")
    return label


def readable_label(text: object, *, fallback: str = "Column") -> str:
    """A usable label made from a file's header: control characters dropped, cut to length."""
    raw = "" if text is None else str(text)
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in raw)
    label = " ".join(kept.split())[:MAX_LABEL].strip()
    return label or fallback

"""Checking every row of an import against its mapping, with pandera; and typing the values."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from cs_core.imports.events import EVENT_OBJECTS
from cs_core.imports.mapping import (
    ASSOCIATE,
    EXISTING,
    EXTERNAL_ID,
    NEW,
    ColumnMap,
    parse_dates,
    parse_numbers,
)
from cs_core.records import Property

REPORT_COLUMNS = ["Row", "Column", "Value", "Reason"]


@dataclass(frozen=True)
class Target:
    """A mapped column's target: the property's name, label and type (and options)."""

    column: str
    name: str
    label: str
    type: str
    options: tuple[str, ...] = ()


def targets(mapping: list[ColumnMap], props: dict[str, Property]) -> list[Target]:
    out = []
    for m in mapping:
        if m.action == EXISTING:
            p = props[m.property]
            out.append(Target(m.column, p.name, p.label, p.type, p.options))
        elif m.action == NEW:
            out.append(
                Target(m.column, m.property, m.label or m.column, m.type or "string", m.options)
            )
    return out


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def _stripped(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def lookups(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, dict[str, int]]:
    """Lower-cased names/emails/labels -> ids, for users, pipelines and stages."""
    users: dict[str, int] = {}
    for uid, name, email in con.execute("SELECT id, name, email FROM users").fetchall():
        users[str(uid)] = uid
        users[name.lower()] = uid
        users[email.lower()] = uid
    pipes = dict(
        (label.lower(), pid)
        for pid, label in con.execute(
            "SELECT id, label FROM pipelines WHERE object = ? ORDER BY position DESC", [object_name]
        ).fetchall()
    )
    stages = dict(
        (label.lower(), sid)
        for sid, label in con.execute(
            "SELECT s.id, s.label FROM stages s JOIN pipelines p ON p.id = s.pipeline_id "
            "WHERE p.object = ? ORDER BY p.position DESC, s.position DESC",
            [object_name],
        ).fetchall()
    )
    return {"user": users, "pipeline": pipes, "stage": stages}


def typed(series: pd.Series, target: Target, refs: dict[str, dict[str, int]]) -> pd.Series:
    """The column's values as the target type; None where empty (or not valid)."""
    text = _stripped(series)
    empty = _blank(series)
    kind = target.type
    if kind == "number":
        out = parse_numbers(text.fillna("")).astype("Float64")
    elif kind in ("date", "datetime"):
        out = parse_dates(text.fillna(""), with_time=kind == "datetime")
        if kind == "date":
            out = out.dt.date
    elif kind == "boolean":
        lowered = text.str.lower()
        out = lowered.map({"yes": True, "true": True, "no": False, "false": False}).astype(
            "boolean"
        )
    elif kind == "enumeration":
        canon = {o.lower(): o for o in target.options}
        out = text.str.lower().map(canon)
    elif kind in refs:
        out = text.str.lower().map(refs[kind]).astype("Int64")
    else:
        out = text
    return out.where(~empty, None)


def _check(target: Target, refs, full: pd.Series) -> tuple[callable, str]:
    """A vectorised check (True where a value is empty or fits) and its reason for the report."""
    kind = target.type
    reasons = {
        "number": "not a number",
        "date": "not a date (use YYYY-MM-DD)",
        "datetime": "not a date and time (use YYYY-MM-DD HH:MM)",
        "boolean": "not yes or no",
        "enumeration": f"not one of: {', '.join(target.options)}",
        "user": "no workspace user has this name or email",
        "pipeline": "no pipeline has this name",
        "stage": "no stage has this name",
    }
    if kind not in reasons:
        return (lambda s: pd.Series(True, index=s.index)), ""

    def fits(s: pd.Series) -> pd.Series:
        # pandera may hand over only the non-empty cells: look the typed values up by row
        return _blank(s) | full.loc[s.index].notna()

    return fits, reasons[kind]


def check_rows(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mapping: list[ColumnMap],
               props: dict[str, Property], object_name: str, cache: dict | None = None) -> pd.DataFrame:  # fmt: skip
    """Every problem as a row of the report: Row (1-based data row), Column, Value, Reason.

    ``cache`` (if given) receives the typed values of each checked column, by column.
    """
    refs = lookups(con, object_name)
    cache = {} if cache is None else cache
    columns = {}
    for t in targets(mapping, props):
        cache[t.column] = typed(frame[t.column], t, refs)
        fits, reason = _check(t, refs, cache[t.column])
        columns[t.column] = pa.Column(
            None, nullable=True, checks=[pa.Check(fits, error=reason)] if reason else []
        )
    for m in mapping:
        if m.action == ASSOCIATE:
            known = {
                r[0]
                for r in con.execute(
                    "SELECT external_id FROM record_external_ids WHERE object = ?", [m.property]
                ).fetchall()
            }

            def fits_ids(s: pd.Series, known=known) -> pd.Series:
                parts = _stripped(s).fillna("").str.split(";")
                return _blank(s) | parts.map(
                    lambda ids: all(i.strip() in known for i in ids if i.strip())
                )

            columns[m.column] = pa.Column(
                None,
                nullable=True,
                checks=[pa.Check(fits_ids, error=f"no {m.property} record has this id")],
            )
    problems = []
    try:
        pa.DataFrameSchema(columns, coerce=False).validate(frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        cases = cases[cases["index"].notna()]
        problems.append(pd.DataFrame({
            "Row": cases["index"].astype(int) + 1,
            "Column": cases["column"],
            "Value": cases["failure_case"].astype(str),
            "Reason": cases["check"].astype(str),
        }))  # fmt: skip
    id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
    if id_col is not None and object_name not in EVENT_OBJECTS:  # tasks may share a record
        ids = _stripped(frame[id_col])
        dup = ids.notna() & (ids != "") & ids.duplicated(keep="first")
        if dup.any():
            problems.append(pd.DataFrame({"Row": dup[dup].index + 1, "Column": id_col,
                                          "Value": ids[dup].astype(str), "Reason": "this id appears earlier in the file"}))  # fmt: skip
    if not problems:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    report = pd.concat(problems, ignore_index=True)
    return report.sort_values(["Row", "Column"], kind="stable").reset_index(drop=True)[
        REPORT_COLUMNS
    ]

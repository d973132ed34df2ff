"""Importing CSV and Parquet files into an object, all or nothing (DAT-2).

1. :func:`read_table` reads the file as text; 2. :func:`suggest` proposes a mapping
(recognised CRM headers, existing properties, else new properties with inferred
types); 3. :func:`check` reports every problem row by row; 4. :func:`run_import`
writes in one transaction, or writes nothing when a row is invalid (unless
``skip_invalid``). Re-importing the same external ids updates those records, with
property history source "import".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from cs_core import csvfile
from cs_core.imports import chunked, events, streaming, writing
from cs_core.imports.events import RecordsGone
from cs_core.imports.mapping import (
    ASSOCIATE,
    EXISTING,
    EXTERNAL_ID,
    NEW,
    RESERVED_PROPERTIES,
    SKIP,
    ColumnMap,
    infer_type,
    snake_case,
    suggest,
)  # fmt: skip
from cs_core.imports.reading import ImportFileError, count_rows, read_table
from cs_core.imports.runs import ImportRun, import_run
from cs_core.imports.saved import MappingError, load_mapping_file, save_mapping, saved_mappings
from cs_core.imports.validation import REPORT_COLUMNS, check_rows, lookups, targets, typed
from cs_core.records import PROPERTY_TYPES, get_object, list_objects, list_properties
from cs_core.settings import get_customer_settings
from cs_core.sql import NameRefused, clean_label
from cs_core.users import Action, User, require

EVENT_OBJECTS = events.EVENT_OBJECTS

__all__ = ["EVENT_OBJECTS", "ColumnMap", "ImportFileError", "ImportResult", "MappingError", "RecordsGone", "check", "check_file", "check_mapping", "count_rows", "import_file", "resolve", "streaming",
           "load_mapping_file", "read_table", "report_csv", "run_import", "save_mapping", "saved_mappings", "suggest_mapping",
           "snake_case", "infer_type", "ImportRun", "import_run"]  # fmt: skip

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# System properties an import may set (the file knows when a record was created).
_SETTABLE_READ_ONLY = {"created_at", "last_activity_at"}


@dataclass(frozen=True)
class ImportResult:
    object: str
    rows: int
    created: int
    updated: int
    rejected_rows: int
    report: pd.DataFrame  # Row, Column, Value, Reason for every problem
    written: bool
    run_id: int | None = None  # the import run (its records: the filter IMPORT_RUN)

    def summary(self) -> str:
        if not self.written:
            return (f"Nothing was imported: {self.rejected_rows:,} of {self.rows:,} rows have problems "
                    f"({len(self.report):,} in all).")  # fmt: skip
        text = f"Imported {self.rows - self.rejected_rows:,} of {self.rows:,} rows: {self.created:,} created, {self.updated:,} updated"
        return text + (f", {self.rejected_rows:,} rejected." if self.rejected_rows else ".")


def importable_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every enabled object, then tasks and activities."""
    return [o.name for o in list_objects(con)] + list(events.EVENT_OBJECTS)


def object_label(con: duckdb.DuckDBPyConnection, object_name: str) -> str:
    info = get_object(con, object_name)
    return info.label_plural if info else object_name.capitalize()


def catalog(con: duckdb.DuckDBPyConnection, object_name: str) -> dict:
    """The properties a file's columns can map to (fixed fields for tasks and activities)."""
    if object_name in events.EVENT_OBJECTS:
        return dict(events.FIELDS[object_name])
    return {p.name: p for p in list_properties(con, object_name)}


def _account_object(con: duckdb.DuckDBPyConnection) -> str:
    return get_customer_settings(con).object


def suggest_mapping(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, object_name: str,
                    id_column: str | None = None) -> list[ColumnMap]:  # fmt: skip
    """A first mapping for the file's columns (see :func:`cs_core.imports.mapping.suggest`).

    Without ``id_column`` and without a "Record ID" column, a column named like an id
    (customerID, Account ID, ...) whose values are all present and unique holds the ids.
    """
    if object_name in events.EVENT_OBJECTS:
        known = {"record id": EXTERNAL_ID, **events.HEADERS[object_name]}
        return [
            ColumnMap(c, EXTERNAL_ID) if c == id_column or known.get(c.strip().lower()) == EXTERNAL_ID
            else ColumnMap(c, EXISTING, property=known[c.strip().lower()]) if c.strip().lower() in known
            else ColumnMap(c, SKIP)
            for c in frame.columns
        ]  # fmt: skip
    props = {p.name: p for p in list_properties(con, object_name)}
    if id_column is not None and id_column not in frame.columns:
        raise MappingError([f"The file has no column {id_column!r} for the record ids."])
    if id_column is None and not any(c.strip().lower() == "record id" for c in frame.columns):
        id_column = next((c for c in frame.columns if _looks_like_id(c, frame[c])), None)
    # "Associated <object> IDs" links to any object of the catalog, by its singular label.
    objects = {o.label.lower(): o.name for o in list_objects(con, enabled_only=False)}
    return suggest(list(frame.columns), frame, object_name=object_name, props=props, id_column=id_column,
                   objects=objects)  # fmt: skip


def resolve(
    con: duckdb.DuckDBPyConnection, mapping: list[ColumnMap], object_name: str
) -> list[ColumnMap]:
    """A saved mapping against today's catalog: a new property that now exists (with the same
    type, from an earlier import) is mapped to it instead."""
    props = catalog(con, object_name)
    return [
        ColumnMap(m.column, EXISTING, property=m.property)
        if m.action == NEW and m.property in props and props[m.property].type == m.type
        else m
        for m in mapping
    ]


def _looks_like_id(column: str, values: pd.Series) -> bool:
    name = column.strip()
    if not (re.search(r"(^|[^a-z])id$", name.lower()) or re.search(r"[a-z]I[Dd]$", name)):
        return False
    text = values.astype("string").str.strip()
    return bool(text.notna().all() and (text != "").all() and text.is_unique)


def check_mapping(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mapping: list[ColumnMap],
                  object_name: str) -> None:  # fmt: skip
    """Raise MappingError listing everything that makes the mapping unusable."""
    if object_name in events.EVENT_OBJECTS:
        return events.check_mapping(frame, mapping, object_name)
    info = get_object(con, object_name)
    if info is None:
        raise MappingError([f"There is no object {object_name!r} to import into."])
    props = {p.name: p for p in list_properties(con, object_name)}
    problems, seen = [], {}
    mapped = {m.column for m in mapping}
    problems += [f"The file has no column {c!r}." for c in mapped - set(frame.columns)]
    problems += [f"Column {c!r} has no mapping." for c in frame.columns if c not in mapped]
    if sum(m.action == EXTERNAL_ID for m in mapping) > 1:
        problems.append("Only one column can hold the record ids.")
    for m in mapping:
        if m.action == EXISTING:
            p = props.get(m.property)
            if p is None:
                problems.append(
                    f"Column {m.column!r}: {info.label_plural} have no property {m.property!r}."
                )
            elif p.is_read_only and p.name not in _SETTABLE_READ_ONLY:
                problems.append(f"Column {m.column!r}: {p.label} is set by the system.")
        elif m.action == NEW:
            if (
                not m.property
                or not _NAME.match(m.property)
                or m.property in props
                or m.property in RESERVED_PROPERTIES
            ):
                problems.append(f"Column {m.column!r}: {m.property!r} cannot name a new property "
                                "(lower-case letters, digits and underscores, not an existing name).")  # fmt: skip
            if m.type not in PROPERTY_TYPES or m.type in ("user",):
                problems.append(f"Column {m.column!r}: a new property cannot have type {m.type!r}.")
            if m.type == "enumeration" and not m.options:
                problems.append(f"Column {m.column!r}: an enumeration needs its options.")
            try:
                clean_label(
                    m.label if m.label is not None else m.column, what="The new property's label"
                )
            except NameRefused as exc:
                problems.append(f"Column {m.column!r}: {exc}")
        elif m.action == ASSOCIATE:
            if get_object(con, m.property) is None:
                problems.append(
                    f"Column {m.column!r}: there is no object {m.property!r} to link to."
                )
        elif m.action not in (SKIP, EXTERNAL_ID):
            problems.append(f"Column {m.column!r}: unknown action {m.action!r}.")
        if m.action in (EXISTING, NEW) and m.property:
            if m.property in seen:
                problems.append(
                    f"Columns {seen[m.property]!r} and {m.column!r} both map to {m.property!r}."
                )
            seen[m.property] = m.column
    has_id = any(m.action == EXTERNAL_ID for m in mapping)
    if info.primary_property == "name" and "name" not in seen and not has_id:
        problems.append(f"Map a column to the {props['name'].label} or choose the column with record ids: "
                        "every record needs a name.")  # fmt: skip
    if problems:
        raise MappingError(problems)


def check(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mapping: list[ColumnMap], *,
          object_name: str, cache: dict | None = None) -> pd.DataFrame:  # fmt: skip
    """The report of every problem row (empty when every row can be imported)."""
    check_mapping(con, frame, mapping, object_name)
    props = catalog(con, object_name)
    report = check_rows(con, frame, mapping, props, object_name, cache)
    if object_name in events.EVENT_OBJECTS:
        return _check_event_rows(con, frame, mapping, object_name, report)
    info = get_object(con, object_name)
    if info.primary_property == "name":
        name_col = next(
            (m.column for m in mapping if m.action in (EXISTING, NEW) and m.property == "name"),
            None,
        )
        id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
        blank = pd.Series(True, index=frame.index)
        for col in (name_col, id_col):
            if col is not None:
                blank &= frame[col].isna() | (frame[col].astype("string").str.strip() == "")
        if blank.any():
            missing = pd.DataFrame({"Row": blank[blank].index + 1, "Column": name_col or id_col,
                                    "Value": "", "Reason": "a record needs a name or an id"})  # fmt: skip
            report = pd.concat([report, missing], ignore_index=True).sort_values(
                ["Row", "Column"], kind="stable"
            )
    merged = _same_record_rows(con, frame, mapping, object_name)
    if not merged.empty:
        report = pd.concat([report, merged], ignore_index=True).sort_values(
            ["Row", "Column"], kind="stable"
        )
    return report.reset_index(drop=True)[REPORT_COLUMNS]


def _same_record_rows(
    con, frame: pd.DataFrame, mapping: list[ColumnMap], object_name: str
) -> pd.DataFrame:
    """Rows with different ids that name one record (records merged since an earlier import):
    the later ones are reported, as one record cannot take two rows' values."""
    id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
    if id_col is None:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    ids = frame[id_col].astype("string").str.strip()
    records = events.record_ids(con, object_name, ids)
    dup = records.notna() & records.duplicated(keep="first") & ~ids.duplicated(keep="first")
    if not dup.any():
        return pd.DataFrame(columns=REPORT_COLUMNS)
    first = {}
    for row, record in records.dropna().items():
        first.setdefault(record, row)
    return pd.DataFrame({"Row": dup[dup].index + 1, "Column": id_col, "Value": ids[dup].astype(str),
                         "Reason": [f"names the same record as row {first[records[i]] + 1} (the two were merged)"
                                    for i in dup[dup].index]})  # fmt: skip


def _check_event_rows(con, frame: pd.DataFrame, mapping: list[ColumnMap], object_name: str,
                      report: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Every row needs its required fields and a record that was imported before."""
    account = _account_object(con)
    extra = []
    id_col = next(m.column for m in mapping if m.action == EXTERNAL_ID)
    unknown = events.record_ids(con, account, frame[id_col]).isna()
    if unknown.any():
        extra.append(pd.DataFrame({"Row": unknown[unknown].index + 1, "Column": id_col,
                                   "Value": frame.loc[unknown, id_col].astype(str),
                                   "Reason": f"no {object_label(con, account).lower()} record has this id"}))  # fmt: skip
    fields = events.FIELDS[object_name]
    for m in mapping:
        if m.action == EXISTING and m.property in events.REQUIRED[object_name]:
            blank = frame[m.column].isna() | (frame[m.column].astype("string").str.strip() == "")
            if blank.any():
                extra.append(pd.DataFrame({"Row": blank[blank].index + 1, "Column": m.column, "Value": "",
                                           "Reason": f"{fields[m.property].label} is required"}))  # fmt: skip
    if not extra:
        return report
    merged = pd.concat([report, *extra], ignore_index=True).sort_values(
        ["Row", "Column"], kind="stable"
    )
    return merged.reset_index(drop=True)[REPORT_COLUMNS]


def run_import(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mapping: list[ColumnMap], *,
               object_name: str, actor: User | None, now: datetime, file_name: str,
               skip_invalid: bool = False, progress: Callable[[float, str], None] | None = None) -> ImportResult:  # fmt: skip
    """Check, then write every row in one transaction; or nothing when a row is invalid.

    ``actor`` None is the command line (run by whoever may write the database file).
    With ``skip_invalid`` the valid rows are written and the others reported.
    """
    if actor is not None:
        require(actor, Action.IMPORT_DATA)
    say = progress or (lambda _f, _m: None)
    say(0.05, "Checking every row")
    mapping = resolve(con, mapping, object_name)
    cache: dict = {}
    report = check(con, frame, mapping, object_name=object_name, cache=cache)
    bad_rows = set(report["Row"] - 1)
    if bad_rows and not skip_invalid:
        return ImportResult(object_name, len(frame), 0, 0, len(bad_rows), report, written=False)
    rows = frame.drop(index=sorted(bad_rows)) if bad_rows else frame
    if rows.empty:
        return ImportResult(object_name, len(frame), 0, 0, len(bad_rows), report, written=False)
    say(0.25, "Converting values")
    props = catalog(con, object_name)
    tgts = targets(mapping, props)
    refs = lookups(con, object_name)
    values = pd.DataFrame(
        {t.name: (cache[t.column] if t.column in cache else typed(frame[t.column], t, refs)).loc[rows.index]
         for t in tgts},
        index=rows.index,
    )  # fmt: skip
    for m in mapping:
        if m.action == ASSOCIATE:
            values[writing.link_column(m, mapping)] = rows[m.column].astype("string").str.strip()
    id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
    if object_name in events.EVENT_OBJECTS:
        account = _account_object(con)
        say(0.5, f"Adding {len(rows):,} {object_name}")
        added = events.write(
            con, object_name=object_name, account_object=account, values=values.reset_index(drop=True),
            external=rows[id_col].reset_index(drop=True), now=now,
            actor_id=actor.id if actor else None, file_name=file_name, rejected=len(bad_rows),
        )  # fmt: skip
        say(1.0, "Done")
        return ImportResult(object_name, len(frame), added, 0, len(bad_rows), report, written=True)
    ext = rows[id_col].astype("string").str.strip().replace("", pd.NA) if id_col else None
    info = get_object(con, object_name)
    counts = writing.write(
        con, object_name=object_name, object_label=info.label_plural, primary=info.primary_property,
        mapping=mapping, targets=tgts, values=values.reset_index(drop=True),
        external_ids=ext.reset_index(drop=True).astype(object).where(ext.notna().values, None) if ext is not None else None,
        now=now, actor_id=actor.id if actor else None, file_name=file_name, rejected=len(bad_rows),
        progress=say,
    )  # fmt: skip
    return ImportResult(object_name, len(frame), counts["created"], counts["updated"], len(bad_rows), report,
                        written=True, run_id=counts["run_id"])  # fmt: skip


SAMPLE_ROWS = 10_000  # rows a suggested mapping looks at (types, ids)


def import_file(con: duckdb.DuckDBPyConnection, path: str | Path, *, object_name: str, actor: User | None,
                now: datetime, mapping: list[ColumnMap] | None = None, id_column: str | None = None,
                skip_invalid: bool = False, progress=None, max_bytes: int | None = None,
                file_name: str | None = None) -> ImportResult:  # fmt: skip
    """Read, map (the given mapping, or the one suggested from the first rows) and import a file.

    A file of more than :data:`streaming.CHUNK_ROWS` rows is imported in chunks (see
    :mod:`cs_core.imports.streaming`); either way all or nothing, as :func:`run_import`.
    """
    if actor is not None:
        require(actor, Action.IMPORT_DATA)  # before the file is read
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"There is no file {path}.")
    streaming.check_size(path, max_bytes)
    file_name = file_name or path.name  # (an upload is read from a temporary copy)
    head = read_table(path, limit=streaming.CHUNK_ROWS + 1)
    if mapping is None:
        mapping = suggest_mapping(
            con, head.head(SAMPLE_ROWS), object_name=object_name, id_column=id_column
        )
    if len(head) <= streaming.CHUNK_ROWS or object_name in events.EVENT_OBJECTS:
        frame = head if len(head) <= streaming.CHUNK_ROWS else read_table(path)
        return run_import(con, frame, mapping, object_name=object_name, actor=actor, now=now,
                          file_name=file_name, skip_invalid=skip_invalid, progress=progress)  # fmt: skip
    return chunked.import_in_chunks(con, path, head, mapping, object_name=object_name, actor=actor, now=now,
                             skip_invalid=skip_invalid, progress=progress, file_name=file_name)  # fmt: skip


check_file = chunked.check_file
# A problem report as the CSV the page offers and the command line writes (formulas made
# harmless: its Value column holds the file's cells as they were).
report_csv = csvfile.to_bytes

"""The Import tab of Settings: upload, preview, map, check, import (DAT-2)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from cs_core import clock, imports, settings
from cs_core.imports import ColumnMap, MappingError
from cs_core.imports.mapping import ASSOCIATE, EXISTING, EXTERNAL_ID, NEW, SKIP, infer_type
from cs_core.users import PermissionDenied, User
from ui import text as ut

P = "import"
ID_CHOICE, SKIP_CHOICE, NEW_CHOICE = (
    "Record ID (id in the source system)",
    "Skip this column",
    "New property",
)
LINK_PREFIX = "Link to "
TYPES = ["string", "number", "date", "datetime", "boolean", "enumeration"]


PREVIEW_ROWS = 10


class _Upload:
    """An uploaded file written to a temporary file once, read from there in chunks (never held
    whole in memory); the file is deleted when the upload changes or the session ends."""

    def __init__(self, upload) -> None:
        self.file_id = upload.file_id
        self.name = upload.name
        suffix = Path(upload.name).suffix.lower() or ".csv"
        fd, path = tempfile.mkstemp(prefix="cs-import-", suffix=suffix)
        with os.fdopen(fd, "wb") as out:
            upload.seek(0)
            shutil.copyfileobj(upload, out, 4 << 20)
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._cleanup = weakref.finalize(self, _remove, self.path)
        self.sample: pd.DataFrame | None = None  # the first rows, read once
        self.rows: int | None = None

    def forget(self) -> None:
        self._cleanup()


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _upload(upload) -> _Upload:
    """This session's copy of the upload on disk (a new upload replaces, and deletes, the old)."""
    held = st.session_state.get(f"{P}.upload")
    if held is None or held.file_id != upload.file_id:
        if held is not None:
            held.forget()
        held = st.session_state[f"{P}.upload"] = _Upload(upload)
    return held


def _choices(con, object_name: str) -> tuple[list[str], dict[str, str]]:
    """The "becomes" options and, for existing properties, option -> property name."""
    props = [p for p in imports.catalog(con, object_name).values()
             if not p.is_read_only or p.name in ("created_at", "last_activity_at")]  # fmt: skip
    existing = {f"{p.label} ({p.name})": p.name for p in props}
    if object_name in imports.EVENT_OBJECTS:
        return [ID_CHOICE, SKIP_CHOICE, *existing], existing
    links = [f"{LINK_PREFIX}{o}" for o in imports.importable_objects(con)
             if o != object_name and o not in imports.EVENT_OBJECTS]  # fmt: skip
    return [ID_CHOICE, SKIP_CHOICE, NEW_CHOICE, *existing, *links], existing


def _to_rows(
    mapping: list[ColumnMap], frame: pd.DataFrame, existing: dict[str, str]
) -> pd.DataFrame:
    by_name = {v: k for k, v in existing.items()}
    rows = []
    for m in mapping:
        sample = ", ".join(str(v) for v in frame[m.column].dropna().head(3))
        becomes = {EXTERNAL_ID: ID_CHOICE, SKIP: SKIP_CHOICE, NEW: NEW_CHOICE}.get(m.action)
        if m.action == EXISTING:
            becomes = by_name.get(m.property, SKIP_CHOICE)
        if m.action == ASSOCIATE:
            becomes = f"{LINK_PREFIX}{m.property}"
        rows.append({"Column": m.column, "Sample values": sample, "Becomes": becomes,
                     "New property name": m.property if m.action == NEW else "",
                     "Type": m.type if m.action == NEW else None})  # fmt: skip
    return pd.DataFrame(rows)


def _from_rows(
    rows: pd.DataFrame, frame: pd.DataFrame, existing: dict[str, str]
) -> list[ColumnMap]:
    out = []
    for r in rows.to_dict("records"):
        col, becomes = r["Column"], r["Becomes"]
        if becomes == ID_CHOICE:
            out.append(ColumnMap(col, EXTERNAL_ID))
        elif becomes == NEW_CHOICE:
            kind = r.get("Type") or "string"
            options = infer_type(frame[col])[1] if kind == "enumeration" else ()
            if kind == "enumeration" and not options:
                options = tuple(
                    sorted(
                        {str(v).strip() for v in frame[col].dropna() if str(v).strip()},
                        key=str.lower,
                    )
                )
            out.append(ColumnMap(col, NEW, property=(r.get("New property name") or "").strip(), label=col.strip(),
                                 type=kind, options=options))  # fmt: skip
        elif becomes in existing:
            out.append(ColumnMap(col, EXISTING, property=existing[becomes]))
        elif isinstance(becomes, str) and becomes.startswith(LINK_PREFIX):
            out.append(ColumnMap(col, ASSOCIATE, property=becomes.removeprefix(LINK_PREFIX)))
        else:
            out.append(ColumnMap(col, SKIP))
    return out


def _report(result_report: pd.DataFrame, *, rows: int, key: str) -> None:
    bad = result_report["Row"].nunique()
    st.error(
        f"{bad:,} of {rows:,} rows have problems ({len(result_report):,} in all).",
        icon=":material/error:",
    )
    st.dataframe(result_report, hide_index=True, width="stretch", key=f"{key}.table")
    st.download_button("Download the report (CSV)", imports.report_csv(result_report), key=f"{key}.download",
                       file_name="import-report.csv", mime="text/csv", icon=":material/download:")  # fmt: skip


def wizard(con: duckdb.DuckDBPyConnection, user: User) -> None:
    st.subheader("Import")
    st.write("Bring records in from a CSV or Parquet file, such as an export from your CRM. "
             "Nothing is written unless every row is valid (or you choose to import the valid rows only).")  # fmt: skip
    objects = imports.importable_objects(con)
    labels = {o: imports.object_label(con, o) for o in objects}
    object_name = st.selectbox("Import into", objects, format_func=labels.get, key=f"{P}.object")
    limit_mb = imports.streaming.max_bytes() / 1e6
    upload = st.file_uploader("File", type=["csv", "parquet"], key=f"{P}.file",
                              max_upload_size=max(1, int(limit_mb)),
                              help=f"Up to {limit_mb:,.0f} MB (CS_MAX_IMPORT_MB).")  # fmt: skip
    if upload is None:
        held = st.session_state.pop(f"{P}.upload", None)
        if held is not None:
            held.forget()
        st.caption("Choose a file to see its first rows and a suggested mapping.")
        return
    try:
        held = _upload(upload)
        imports.streaming.check_size(held.path)
        if held.sample is None:
            with st.spinner("Reading the first rows…"):
                held.sample = imports.read_table(held.path, limit=imports.SAMPLE_ROWS)
                held.rows = imports.count_rows(held.path)
    except imports.ImportFileError as exc:
        ut.error(exc)
        return
    frame = held.sample  # the first rows: the preview and the suggested mapping come from them
    digest = hashlib.sha1(f"{held.file_id}:{held.size}".encode()).hexdigest()[:12]
    st.markdown(
        f"**{ut.md(upload.name, ut.LABEL_LIMIT)}**: {held.rows:,} rows, {len(frame.columns)} columns. First rows:"
    )
    st.dataframe(frame.head(PREVIEW_ROWS), hide_index=True, width="stretch", key=f"{P}.preview")

    choices, existing = _choices(con, object_name)
    saved = imports.saved_mappings(con, object_name)
    start = st.selectbox(
        "Start from", ["Suggested mapping", *saved], key=f"{P}.saved.{object_name}"
    )
    mapping = (
        saved[start]
        if start in saved
        else imports.suggest_mapping(con, frame, object_name=object_name)
    )
    mapping = [m for m in imports.resolve(con, mapping, object_name) if m.column in frame.columns]
    mapping += [ColumnMap(c, SKIP) for c in frame.columns if c not in {m.column for m in mapping}]
    st.markdown("**Mapping**: what each column becomes. New properties get the type shown.")
    edited = st.data_editor(
        _to_rows(mapping, frame, existing), hide_index=True, width="stretch", num_rows="fixed",
        key=f"{P}.mapping.{object_name}.{digest}.{start}",
        column_config={
            "Column": st.column_config.TextColumn(disabled=True),
            "Sample values": st.column_config.TextColumn(disabled=True),
            "Becomes": st.column_config.SelectboxColumn(options=choices, required=True, width="large"),
            "New property name": st.column_config.TextColumn(help="lower_case_with_underscores"),
            "Type": st.column_config.SelectboxColumn(options=TYPES),
        },
    )  # fmt: skip
    mapping = _from_rows(edited, frame, existing)

    a, b = st.columns([2, 3], vertical_alignment="bottom")
    name = a.text_input(
        "Save this mapping as", key=f"{P}.save_name", placeholder="e.g. CRM company export"
    )
    if b.button("Save mapping", key=f"{P}.save_mapping", icon=":material/save:"):
        try:
            imports.save_mapping(con, actor=user, name=name, object_name=object_name, mapping=mapping,
                                 now=clock.now())  # fmt: skip
            st.success(ut.message(f"Mapping “{name.strip()}” saved."), icon=":material/check:")
        except (MappingError, PermissionDenied) as exc:
            ut.error(exc)

    skip = st.checkbox("Import the valid rows only, and report the others", key=f"{P}.skip_invalid")
    check_col, import_col = st.columns(2)
    if check_col.button("Check the file", key=f"{P}.check", icon=":material/rule:"):
        try:
            with st.spinner(f"Checking {held.rows:,} rows…"):
                report, _rows = imports.check_file(con, held.path, mapping, object_name=object_name)
        except MappingError as exc:
            st.error(
                "The mapping cannot be used:\n\n"
                + "\n".join(f"- {ut.message(p)}" for p in exc.problems)
            )
        else:
            if report.empty:
                st.success(
                    f"All {held.rows:,} rows can be imported.", icon=":material/check_circle:"
                )
            else:
                _report(report, rows=held.rows, key=f"{P}.check_report")
    if import_col.button("Import", type="primary", key=f"{P}.run", icon=":material/upload:"):
        bar = st.progress(0.0, text="Starting")
        try:
            result = imports.import_file(
                con, held.path, object_name=object_name, actor=user, now=clock.now(), mapping=mapping,
                skip_invalid=skip, progress=lambda f, m: bar.progress(f, text=m), file_name=upload.name,
            )  # fmt: skip
        except (
            MappingError,
            PermissionDenied,
            imports.RecordsGone,
            imports.ImportFileError,
        ) as exc:
            bar.empty()
            problems = getattr(exc, "problems", [str(exc)])
            st.error(
                "Nothing was imported:\n\n" + "\n".join(f"- {ut.message(p)}" for p in problems),
                icon=":material/error:",
            )
            return
        bar.empty()
        if result.written:
            st.success(ut.message(result.summary()), icon=":material/check_circle:")
            if (
                result.run_id is not None
                and result.object == settings.get_customer_settings(con).object
            ):
                st.page_link("app_pages/customers.py", label="Show the imported records in Customers",
                             icon=":material/arrow_forward:", query_params={"import": str(result.run_id)})  # fmt: skip
        if not result.report.empty:
            if not result.written:
                ut.error(result.summary())
            _report(result.report, rows=result.rows, key=f"{P}.run_report")

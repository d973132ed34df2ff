"""Widgets for one object's settings (owner, renewal date, pipelines, defaults)."""

from __future__ import annotations

import duckdb
import streamlit as st

from cs_core import pipelines, records, settings
from cs_core.settings import ObjectSettings
from ui import text as ut


def object_label(con: duckdb.DuckDBPyConnection, name: str) -> str:
    info = records.get_object(con, name)
    return info.label_plural if info else name


def _property_labels(con: duckdb.DuckDBPyConnection, obj: str) -> dict[str, str]:
    return {p.name: p.label for p in records.list_properties(con, obj)}


def _index(options: list, value) -> int:
    return options.index(value) if value in options else 0


def owner_and_renewal(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    current_owner: str | None,
    current_renewal: str | None,
    *,
    prefix: str,
    renewal_label: str = "Renewal date property",
) -> tuple[str | None, str | None]:
    """Owner (user properties only) and optional renewal date (date properties only)."""
    labels = _property_labels(con, obj)
    owners = settings.owner_property_choices(con, obj)
    if owners:
        owner = st.selectbox(
            "Owner property",
            owners,
            index=_index(owners, current_owner),
            format_func=labels.get,
            key=f"{prefix}.owner.{obj}",
            help="Which user property says who owns a record. Only user properties are listed.",
        )
    else:
        ut.warning(f"{object_label(con, obj)} have no user property to use as the owner.")
        owner = None
    dates = [None, *settings.date_property_choices(con, obj)]
    renewal = st.selectbox(
        f"{renewal_label} (optional)",
        dates,
        index=_index(dates, current_renewal),
        format_func=lambda n: "None" if n is None else labels.get(n, n),
        key=f"{prefix}.renewal.{obj}",
        help="Only date properties are listed.",
    )
    return owner, renewal


def object_settings(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    current: ObjectSettings | None,
    *,
    prefix: str,
    renewal_label: str = "Renewal date property",
) -> ObjectSettings:
    """All widgets for an object on the Services or Revenue tab; returns what they say."""
    same = current if current and current.object == obj else None
    owner, renewal = owner_and_renewal(
        con,
        obj,
        same.owner_property if same else "owner_id",
        same.renewal_date_property if same else None,
        prefix=prefix,
        renewal_label=renewal_label,
    )
    pipes = {p.id: p.label for p in pipelines.list_pipelines(con, obj)}
    if pipes:
        shown_now = [p for p in (same.pipelines if same else pipes) if p in pipes]
        shown = st.multiselect(
            "Pipelines shown",
            list(pipes),
            default=shown_now,
            format_func=pipes.get,
            key=f"{prefix}.pipelines.{obj}",
            placeholder="Choose at least one pipeline",
        )
        st.markdown("**Defaults**")
        left, right = st.columns(2)
        choices = shown or list(pipes)
        default_pipe = left.selectbox(
            "Default pipeline",
            choices,
            format_func=pipes.get,
            index=_index(choices, same.default_pipeline if same else None),
            key=f"{prefix}.default_pipeline.{obj}",
        )
    else:
        st.caption(ut.message(f"{object_label(con, obj)} have no pipelines yet."))
        shown, default_pipe = [], None
        left, right = st.columns(2)
    layout = right.radio(
        "Default page layout",
        settings.LAYOUTS,
        horizontal=True,
        index=_index(list(settings.LAYOUTS), same.default_layout if same else "table"),
        format_func=str.capitalize,
        key=f"{prefix}.layout.{obj}",
    )
    return ObjectSettings(
        object=obj,
        owner_property=owner or "",
        renewal_date_property=renewal,
        pipelines=tuple(shown),
        default_pipeline=default_pipe,
        default_layout=layout,
    )

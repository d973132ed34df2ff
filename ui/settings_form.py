"""Widgets for one object's settings (owner, renewal date, pipelines, defaults), and the one way
a settings form saves without undoing a colleague's save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import streamlit as st

from cs_core import pipelines, records, settings
from cs_core.settings import ObjectSettings
from cs_core.settings_store import STALE
from cs_core.users import PermissionDenied
from ui import state
from ui import text as ut


def opened(key: str, current: Any) -> Any:
    """The setting ``key`` as this session first showed it: its save is refused when someone
    else saved it since (dropped after a save or a refusal, so the next run starts from what
    is stored then)."""
    return st.session_state.setdefault(f"settings.{key}.opened", current)


def forget_opened(key: str) -> None:
    st.session_state.pop(f"settings.{key}.opened", None)


def save_opened(key: str, save: Callable[[], Any], *, refusals: tuple[type[Exception], ...],
                done: Callable[[Any], str]) -> None:  # fmt: skip
    """Run ``save`` (a cs_core save given what :func:`opened` returned as its ``expected``):
    every problem of a refusal shown (after a colleague's save, told once: saving again
    replaces theirs), or ``done(saved)`` confirmed after a rerun."""
    try:
        saved = save()
    except PermissionDenied as exc:
        ut.error(exc, icon=":material/lock:")
        return
    except refusals as exc:
        problems = list(getattr(exc, "problems", None) or [str(exc)])
        if STALE in problems:
            forget_opened(key)
        if len(problems) == 1:
            ut.error(problems[0])
        else:
            st.error("Not saved:\n\n" + "\n".join(f"- {ut.message(p)}" for p in problems),
                     icon=":material/error:")  # fmt: skip
        return
    forget_opened(key)
    state.flash(done(saved))
    st.rerun()


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
    ledger: bool = False,
) -> ObjectSettings:
    """All widgets for an object on the Services or Revenue tab; returns what they say.
    ``ledger``: also the ARR, start and end properties retention reads (revenue objects)."""
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
    roles = retention_roles(con, obj, same, prefix=prefix) if ledger else (None, None, None)
    return ObjectSettings(
        object=obj,
        owner_property=owner or "",
        renewal_date_property=renewal,
        pipelines=tuple(shown),
        default_pipeline=default_pipe,
        default_layout=layout,
        arr_property=roles[0],
        start_property=roles[1],
        end_property=roles[2],
    )


def retention_roles(
    con: duckdb.DuckDBPyConnection, obj: str, current: ObjectSettings | None, *, prefix: str
) -> tuple[str | None, str | None, str | None]:
    """The ARR (number), start and end (date) properties of a line, for retention."""
    st.markdown("**Retention**")
    st.caption(
        "Each record is a subscription line: its ARR counts for its account from the start date "
        "up to the day before the end date (empty: still running). Leave the ARR empty when "
        "this object holds no subscription lines."
    )
    labels = _property_labels(con, obj)
    arr_now, start_now, end_now = (
        (current.arr_property, current.start_property, current.end_property)
        if current
        else settings.retention_roles(con, obj)
    )
    numbers = [None, *settings.number_property_choices(con, obj)]
    dates = [None, *settings.date_property_choices(con, obj)]
    name = lambda n: "None" if n is None else labels.get(n, n)  # noqa: E731
    a, b, c = st.columns(3)
    arr = a.selectbox("ARR property", numbers, index=_index(numbers, arr_now), format_func=name,
                      key=f"{prefix}.arr.{obj}", help="Only number properties are listed.")  # fmt: skip
    start = b.selectbox("Start date property", dates, index=_index(dates, start_now), format_func=name,
                        key=f"{prefix}.start.{obj}", disabled=arr is None,
                        help="The first day a line is active. Only date properties are listed.")  # fmt: skip
    end = c.selectbox("End date property (optional)", dates, index=_index(dates, end_now), format_func=name,
                      key=f"{prefix}.end.{obj}", disabled=arr is None,
                      help="The first day a line is no longer active.")  # fmt: skip
    return (arr, start, end) if arr is not None else (None, None, None)

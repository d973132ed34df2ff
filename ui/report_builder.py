"""The report builder (DSH-2): source, measure, up to two dimensions with grains, filters (the
filter editor), sort, limit and chart, with a live preview; save, duplicate, rename and delete;
the definition as JSON (spec/reports.md), editable with the same checks.

The definition being edited lives in session state (``reports.def``), updated on every run, so
leaving the builder for another section and coming back loses nothing. Loading another
definition bumps a generation that every widget key carries, so its widgets start afresh.
"""

from __future__ import annotations

import json
from datetime import date

import streamlit as st

from cs_core import clock, records, retention
from cs_core.health.profiles import list_profiles
from cs_core.reports import engine, presentation, saved
from cs_core.reports.definition import (
    CHARTS,
    GRAINS,
    NUMBER_OPS,
    OPS,
    RETENTION_MEASURES,
    Report,
    ReportError,
    parse,
)
from cs_core.users import User
from ui import confirm, filter_editor, listing_data, report_view, state
from ui import text as ut

P = "reports"
CHART_LABELS = {"bar": "Bar", "stacked_bar": "Stacked bar", "line": "Line", "area": "Area", "pie": "Pie (donut)",
                "number": "Single number", "table": "Table"}  # fmt: skip
SORT_LABELS = {
    "dimension": "By group (A to Z, oldest first)",
    "measure_desc": "Largest value first",
}
NEW = {"name": "New report", "description": None, "source": "object:companies", "filters": [],
       "measure": {"op": "count"}, "dimensions": [], "sort": "dimension", "limit": None, "chart": "bar"}  # fmt: skip


def sources(con) -> dict[str, str]:
    """Every source a report can read, with its label."""
    out = {f"object:{o.name}": o.label_plural for o in records.list_objects(con)}
    out["tasks"] = "Tasks"
    out["activities"] = "Activities"
    for p in list_profiles(con):
        out[f"health:{p.name}"] = f"Health score history · {p.name}"
    for name in retention.ledger_objects(con):
        out[f"retention:{name}"] = f"Retention · {records.get_object(con, name).label_plural}"
    return out


def load(definition: dict, *, report_id: int | None, opened_at) -> None:
    """Start editing ``definition`` (a saved report's, a new one, or JSON pasted in)."""
    gen = st.session_state.get(f"{P}.gen", 0) + 1
    st.session_state[f"{P}.gen"] = gen
    st.session_state[f"{P}.def"] = definition
    st.session_state[f"{P}.id"] = report_id
    st.session_state[f"{P}.opened_at"] = opened_at
    filter_editor.load(
        f"{P}.g{gen}.{definition.get('source')}.filters", definition.get("filters") or []
    )


def _open_chosen() -> None:
    chosen = st.session_state.get(f"{P}.open")
    found = saved.get(_con, chosen) if chosen else None
    if found is None:
        load(dict(NEW), report_id=None, opened_at=None)
    else:
        load(found.report.as_json(), report_id=found.id, opened_at=found.updated_at)


_con = None  # the page's connection, for widget callbacks


def _pick(label: str, options: list, current, *, key: str, labels: dict | None = None, **kwargs):
    index = options.index(current) if current in options else 0
    return st.selectbox(label, options, index=index, key=key, format_func=(labels or {}).get if labels else str,
                        **kwargs)  # fmt: skip


def _measure(loaded: dict, props: dict, source: str, base: str, same: bool) -> dict:
    old = loaded.get("measure") or {} if same else {}
    if source.startswith("retention:"):
        op = _pick("Measure", list(RETENTION_MEASURES), old.get("op"), key=f"{base}.op",
                   labels=presentation.RETENTION_LABELS)  # fmt: skip
        return {"op": op}
    a, b = st.columns(2)
    with a:
        op = _pick("Measure", list(OPS), old.get("op", "count"), key=f"{base}.op", labels={
            "count": "Count of rows", "count_distinct": "Count of distinct values", "sum": "Sum", "avg": "Average",
            "min": "Minimum", "max": "Maximum", "median": "Median"})  # fmt: skip
    if op == "count":
        return {"op": op}
    names = [n for n, p in props.items() if op not in NUMBER_OPS or p.type == "number"]
    if not names:
        b.warning("This source has no number property to measure.")
        return {"op": op}
    with b:
        prop = _pick("Of", names, old.get("property"), key=f"{base}.{op}.prop",
                     labels={n: props[n].label for n in names})  # fmt: skip
    return {"op": op, "property": prop}


def _dimensions(
    loaded: dict, props: dict, source: str, base: str, same: bool
) -> tuple[list[dict], dict]:
    old = (loaded.get("dimensions") or []) if same else []
    extra: dict = {}
    if source.startswith("retention:"):
        a, b, c = st.columns(3)
        grain = old[0].get("grain") if old else "quarter"
        with a:
            grain = _pick("Per", ["month", "quarter"], grain, key=f"{base}.period",
                          labels={"month": "Month", "quarter": "Quarter"})  # fmt: skip
        first = loaded.get("from") if same else None
        last = loaded.get("to") if same else None
        chosen_first = b.date_input("From (optional)", value=date.fromisoformat(first) if first else None,
                                    key=f"{base}.from", format="YYYY-MM-DD")  # fmt: skip
        chosen_last = c.date_input("To (optional)", value=date.fromisoformat(last) if last else None,
                                   key=f"{base}.to", format="YYYY-MM-DD")  # fmt: skip
        if chosen_first:
            extra["from"] = chosen_first.isoformat()
        if chosen_last:
            extra["to"] = chosen_last.isoformat()
        return [{"property": "period", "grain": grain}], extra
    names = [None, *props]
    labels = {None: "(none)", **{n: p.label for n, p in props.items()}}
    dims: list[dict] = []
    for i, title in enumerate(("Group by", "Then by")):
        if i == 1 and not dims:
            break
        current = old[i] if len(old) > i else {}
        a, b = st.columns(2)
        with a:
            name = _pick(title, names, current.get("property"), key=f"{base}.dim{i}", labels=labels)
        if name is None:
            break
        dim = {"property": name}
        if props[name].type in engine.DATES:
            grains = [None, *GRAINS]
            with b:
                grain = _pick("Per", grains, current.get("grain", "month"), key=f"{base}.dim{i}.{name}.grain",
                              labels={None: "Each value", **{g: g.capitalize() for g in GRAINS}})  # fmt: skip
            if grain:
                dim["grain"] = grain
        dims.append(dim)
    return dims, extra


def _form(con, *, user: User) -> dict:
    """The builder's widgets; returns the definition they describe."""
    gen = st.session_state.get(f"{P}.gen", 0)
    loaded = st.session_state.get(f"{P}.def") or dict(NEW)
    base = f"{P}.g{gen}"
    a, b = st.columns([2, 3])
    name = a.text_input("Name", value=loaded.get("name") or "", key=f"{base}.name", max_chars=200)
    description = b.text_input("Description (optional)", value=loaded.get("description") or "",
                               key=f"{base}.description", max_chars=2000)  # fmt: skip
    choices = sources(con)
    if loaded.get("source") not in choices and loaded.get("source"):
        choices = {loaded["source"]: f"{loaded['source']} (not in this workspace)", **choices}
    source = _pick(
        "Data source", list(choices), loaded.get("source"), key=f"{base}.source", labels=choices
    )
    same = source == loaded.get("source")
    base = f"{base}.{source}"
    probe = Report(name="probe", source=source, op="count")
    props, owner = {}, None
    if not source.startswith("retention:"):
        try:
            found = engine.describe(con, probe)
            props, owner = found.props, found.owner
        except ReportError as exc:
            ut.error(" ".join(exc.problems))
    measure = _measure(loaded, props, source, base, same)
    dims, extra = _dimensions(loaded, props, source, base, same)
    spec = []
    if props:
        with st.expander("Filters", expanded=bool(loaded.get("filters")) and same):
            refs = listing_data.reference_labels(
                con, source.split(":", 1)[1] if source.startswith("object:") else "tasks"
            )
            spec = filter_editor.editor(f"{base}.filters", props, owner_property=owner, refs=refs,
                                        today=clock.local_date(clock.now(), user.time_zone))  # fmt: skip
    a, b, c = st.columns(3)
    with a:
        sort = _pick("Sort", list(SORT_LABELS), loaded.get("sort", "dimension"), key=f"{base}.sort",
                     labels=SORT_LABELS, disabled=source.startswith("retention:"))  # fmt: skip
    limit = b.number_input("Limit (0: every row)", min_value=0, step=1, value=int(loaded.get("limit") or 0),
                           key=f"{base}.limit")  # fmt: skip
    with c:
        chart = _pick(
            "Chart",
            list(CHARTS),
            loaded.get("chart", "bar"),
            key=f"{base}.chart",
            labels=CHART_LABELS,
        )
    definition = {"name": name.strip(), "description": description.strip() or None, "source": source,
                  "filters": spec, "measure": measure, "dimensions": dims, "sort": sort,
                  "limit": int(limit) or None, "chart": chart, **extra}  # fmt: skip
    st.session_state[f"{P}.def"] = definition
    return definition


def _json_editor(con, definition: dict) -> None:
    with st.expander("JSON (for version control)", icon=":material/data_object:"):
        st.caption("The definition of spec/reports.md. Edit it here or paste one from a file, then open it in the "
                   "builder; it is checked the same way.")  # fmt: skip
        gen = st.session_state.get(f"{P}.gen", 0)
        text = st.text_area("Definition", value=json.dumps(definition, indent=2), height=320, key=f"{P}.g{gen}.json",
                            label_visibility="collapsed")  # fmt: skip
        if st.button(
            "Open this JSON in the builder", icon=":material/input:", key=f"{P}.json.apply"
        ):
            try:
                report = parse(text)
                problems = engine.check(con, report)
                if problems:
                    raise ReportError(problems)
            except ReportError as exc:
                st.session_state[f"{P}.json.problems"] = list(exc.problems)
            else:
                st.session_state.pop(f"{P}.json.problems", None)
                load(report.as_json(), report_id=st.session_state.get(f"{P}.id"),
                     opened_at=st.session_state.get(f"{P}.opened_at"))  # fmt: skip
                st.rerun()
        for problem in st.session_state.get(f"{P}.json.problems", []):
            ut.error(problem)
        st.download_button("Download the JSON", json.dumps(definition, indent=2).encode(), mime="application/json",
                           file_name=f"{report_view._file_name(definition.get('name') or 'report')}.json",
                           icon=":material/download:", key=f"{P}.json.download")  # fmt: skip


DELETING = f"{P}.delete.ask"  # the report whose deletion awaits confirmation


def _forget_delete() -> None:
    st.session_state.pop(DELETING, None)


@st.dialog("Delete this report?", on_dismiss=_forget_delete)
def _confirm_delete(con, user: User, report_id: int, name: str) -> None:
    st.write("It is removed from every dashboard and Summary tab it is on. This cannot be undone.")
    ut.show(name)

    def run() -> None:
        saved.delete(con, actor=user, report_id=report_id)
        load(dict(NEW), report_id=None, opened_at=None)
        st.session_state[f"{P}.open.next"] = None

    confirm.buttons(key=f"{P}.delete", label="Delete", icon=":material/delete:", flag=DELETING, run=run,
                    done=f"Deleted the report {name!r}.")  # fmt: skip


def _actions(con, user: User, definition: dict) -> None:
    report_id = st.session_state.get(f"{P}.id")
    a, b, c, _ = st.columns([1, 1, 1, 3])
    if a.button("Save", type="primary", icon=":material/save:", key=f"{P}.save"):
        try:
            done = saved.save(con, actor=user, definition=definition, now=clock.now(), report_id=report_id,
                              opened_at=st.session_state.get(f"{P}.opened_at"))  # fmt: skip
        except ReportError as exc:
            st.session_state[f"{P}.save.problems"] = list(exc.problems)
        else:
            st.session_state.pop(f"{P}.save.problems", None)
            st.session_state[f"{P}.id"] = done.id
            st.session_state[f"{P}.opened_at"] = done.updated_at
            st.session_state[f"{P}.open.next"] = done.id
            state.flash(f"Saved the report {done.name!r}.")
            st.rerun()
    if report_id is not None and b.button(
        "Duplicate", icon=":material/content_copy:", key=f"{P}.duplicate"
    ):
        try:
            copy = saved.duplicate(con, actor=user, report_id=report_id, now=clock.now())
        except ReportError as exc:
            st.session_state[f"{P}.save.problems"] = list(exc.problems)
        else:
            load(copy.report.as_json(), report_id=copy.id, opened_at=copy.updated_at)
            st.session_state[f"{P}.open.next"] = copy.id
            state.flash(f"Made {copy.name!r}: you are editing the copy.")
            st.rerun()
    if report_id is not None:
        c.button("Delete", icon=":material/delete:", key=f"{P}.delete", on_click=st.session_state.__setitem__,
                 args=(DELETING, report_id))  # fmt: skip
    if st.session_state.get(DELETING) is not None and st.session_state[DELETING] == report_id:
        _confirm_delete(con, user, report_id, definition.get("name") or "")
    for problem in st.session_state.get(f"{P}.save.problems", []):
        ut.error(problem)


def builder(con, *, user: User) -> None:
    global _con
    _con = con
    existing = saved.list_saved(con)
    ids = [None, *(s.id for s in existing)]
    names = {None: "New report", **{s.id: s.name for s in existing}}
    if f"{P}.def" not in st.session_state:
        load(dict(NEW), report_id=None, opened_at=None)
    if f"{P}.open.next" in st.session_state:  # a save, copy or deletion chose the report to show
        st.session_state[f"{P}.open"] = st.session_state.pop(f"{P}.open.next")
    if st.session_state.get(f"{P}.open") not in ids:
        st.session_state[f"{P}.open.next"] = None
    st.selectbox("Report", ids, format_func=lambda i: ut.short(names[i]), key=f"{P}.open", on_change=_open_chosen,
                 help="Open a saved report, or start a new one")  # fmt: skip
    definition = _form(con, user=user)
    _actions(con, user, definition)
    _json_editor(con, definition)
    st.subheader("Preview")
    try:
        report = parse(definition)
        problems = engine.check(con, report)
    except ReportError as exc:
        problems = list(exc.problems)
    if problems:
        st.warning("Fix these to see the report:\n\n" + "\n".join(f"- {ut.md(p)}" for p in problems),
                   icon=":material/edit_note:")  # fmt: skip
        return
    if report.description:
        st.caption(ut.md(report.description, 300))
    report_view.show(con, report, user=user, key=f"{P}.preview")

"""The advanced filter editor: groups of conditions (AND inside, OR between) on any property.

The draft spec lives in session state under ``{prefix}.draft`` as groups of condition
dicts, each with a private ``_id`` so its widgets keep their keys when others are
removed. :func:`clean` strips those ids before the spec is compiled or saved.
"""

from __future__ import annotations

import itertools
from datetime import date

import streamlit as st

from cs_core.filters import DATE_OPERATOR_LABELS, ME, OPERATOR_LABELS, OPERATORS_BY_TYPE, OWNER
from cs_core.records import Property
from ui import sections

_ids = itertools.count(1)
_NO_VALUE = ("is_known", "is_unknown")
_LISTS = ("in", "not_in")


def load(prefix: str, spec: list) -> None:
    """Start editing ``spec`` (a view's saved filters)."""
    st.session_state[f"{prefix}.draft"] = [
        [{**c, "_id": next(_ids)} for c in group] for group in spec
    ]


def draft(prefix: str) -> list[list[dict]]:
    return st.session_state.setdefault(f"{prefix}.draft", [])


def clean(spec: list[list[dict]]) -> list[list[dict]]:
    """The spec without editor ids and without empty groups."""
    return [[{k: v for k, v in c.items() if k != "_id"} for c in g] for g in spec if g]


def _operator_label(prop: Property, op: str) -> str:
    if prop.type in ("date", "datetime"):
        return DATE_OPERATOR_LABELS.get(op, OPERATOR_LABELS[op])
    return OPERATOR_LABELS[op]


def _value_widget(prop: Property, op: str, current, key: str, *, refs: dict[str, dict], today: date):  # fmt: skip
    """A type-fitting input for the condition's value; returns the value."""
    if op in _NO_VALUE:
        return None
    if op in ("in_last_days", "more_than_days_ago", "in_next_days", "assigned_to_me_in_last_days"):
        return st.number_input("Days", min_value=0, step=1, value=30 if current is None else int(current), key=key,
                               label_visibility="collapsed")  # fmt: skip
    if op == "days_from_today":
        first, last = current if isinstance(current, list) and len(current) == 2 else (0, 0)
        a, b = st.columns(2)
        return [int(a.number_input("From (days from today)", value=int(first), step=1, key=f"{key}.lo")),
                int(b.number_input("To (days from today)", value=int(last), step=1, key=f"{key}.hi"))]  # fmt: skip
    kind = prop.type
    if kind == "record":  # the records the page offers ("object:id" -> name), and the current one
        choices = dict(refs.get("record", {}))
        if isinstance(current, dict) and "object" in current and "id" in current:
            choices.setdefault(
                f"{current['object']}:{current['id']}", f"{current['object']} #{current['id']}"
            )
        if not choices:
            st.caption("Pick the record in the quick filter above.")
            return None
        options = list(choices)
        now = f"{current['object']}:{current['id']}" if isinstance(current, dict) else None
        picked = st.selectbox("Record", options, index=options.index(now) if now in options else 0,
                              format_func=choices.get, key=key, label_visibility="collapsed")  # fmt: skip
        obj, _, ref = picked.partition(":")
        return {"object": obj, "id": int(ref)}
    choices: dict | None = None
    if kind == "enumeration":
        choices = {o: prop.option_label(o) for o in prop.options}
    elif kind == "user":
        choices = {ME: "Me", **refs.get("user", {})}
    elif kind in ("pipeline", "stage"):
        choices = refs.get(kind, {})
    elif kind == "boolean":
        choices = {True: "Yes", False: "No"}
    if choices is not None:
        options = list(choices)
        if op in _LISTS:
            chosen = [v for v in (current or []) if v in choices]
            return st.multiselect("Values", options, default=chosen, format_func=choices.get, key=key,
                                  label_visibility="collapsed", placeholder="Choose values")  # fmt: skip
        index = options.index(current) if current in options else 0
        return st.selectbox("Value", options, index=index, format_func=choices.get, key=key,
                            label_visibility="collapsed")  # fmt: skip
    if kind in ("date", "datetime"):

        def _day(v):
            try:
                return date.fromisoformat(str(v)[:10])
            except ValueError:
                return today

        if op == "between":
            low, high = (current or [None, None]) if isinstance(current, list) else (None, None)
            a, b = st.columns(2)
            lo = a.date_input(
                "From", value=_day(low), key=f"{key}.lo", label_visibility="collapsed"
            )
            hi = b.date_input("To", value=_day(high), key=f"{key}.hi", label_visibility="collapsed")
            return [lo.isoformat(), hi.isoformat()]
        return st.date_input(
            "Date", value=_day(current), key=key, label_visibility="collapsed"
        ).isoformat()
    if op == "between":
        low, high = (current or ["", ""]) if isinstance(current, list) else ("", "")
        a, b = st.columns(2)
        return [a.text_input("From", value=str(low), key=f"{key}.lo", label_visibility="collapsed",
                             placeholder="from"),
                b.text_input("To", value=str(high), key=f"{key}.hi", label_visibility="collapsed",
                             placeholder="to")]  # fmt: skip
    if op in _LISTS:
        text = st.text_input("Values", value=", ".join(map(str, current or [])), key=key,
                             label_visibility="collapsed", placeholder="values, separated by commas")  # fmt: skip
        return [v.strip() for v in text.split(",") if v.strip()]
    return st.text_input("Value", value="" if current is None else str(current), key=key,
                         label_visibility="collapsed", placeholder="value")  # fmt: skip


def editor(prefix: str, props: dict[str, Property], *, owner_property: str | None,
           refs: dict[str, dict], today: date, allow_or: bool = True) -> list[list[dict]]:  # fmt: skip
    """Render the editor for the draft under ``prefix``; returns the (cleaned) spec.

    ``refs`` maps the reference types (user, pipeline, stage) to {id: label} choices;
    ``today`` (the user's date) is where a new date condition starts.
    """
    groups = draft(prefix)
    names = [p.name for p in props.values()]
    for g, group in enumerate(groups):
        with st.container(border=True):
            st.caption("Match all of these" if g == 0 else "… or all of these")
            for cond in list(group):
                cid = cond["_id"]
                key = f"{prefix}.c{cid}"
                a, b, c, d = st.columns([3, 3, 4, 1], vertical_alignment="center")
                current = owner_property if cond.get("property") == OWNER else cond.get("property")
                name = a.selectbox("Property", names, index=names.index(current) if current in names else 0,
                                   format_func=lambda n: props[n].label, key=f"{key}.prop",
                                   label_visibility="collapsed")  # fmt: skip
                prop = props[name]
                ops = list(OPERATORS_BY_TYPE[prop.type])
                op = b.selectbox("Operator", ops, index=ops.index(cond["operator"]) if cond.get("operator") in ops else 0,
                                 format_func=lambda o, p=prop: _operator_label(p, o), key=f"{key}.op.{name}",
                                 label_visibility="collapsed")  # fmt: skip
                with c:
                    same = cond.get("operator") == op and current == name
                    value = _value_widget(prop, op, cond.get("value") if same else None,
                                          f"{key}.value.{name}.{op}", refs=refs, today=today)  # fmt: skip
                cond.update(property=OWNER if cond.get("property") == OWNER and name == owner_property else name,
                            operator=op, value=value)  # fmt: skip
                if d.button(
                    "", icon=":material/close:", key=f"{key}.remove", help="Remove this condition"
                ):
                    group.remove(cond)
                    st.rerun()
            if st.button("Add condition", icon=":material/add:", key=f"{prefix}.add.{g}"):
                group.append(_blank(names))
                st.rerun()
    if (allow_or or not groups) and st.button(
        "Add an OR group" if groups else "Add a condition",
        icon=":material/add:",
        key=f"{prefix}.add_group",
    ):
        groups.append([_blank(names)])
        st.rerun()
    st.session_state[f"{prefix}.draft"] = [g for g in groups if g]
    return clean(groups)


def panel(prefix: str, props: dict[str, Property], *, owner_property: str | None,
          refs: dict[str, dict], today: date) -> list[list[dict]]:  # fmt: skip
    """The "Advanced filters" section of a listing: the editor while it is open (it keeps its
    open state under ``{prefix}.advanced``); closed, a line saying what it holds, and nothing
    built for it. Returns the (cleaned) spec either way: the draft keeps it."""
    with sections.folded("Advanced filters", key=f"{prefix}.advanced",
                         icon=":material/filter_list:") as fold:  # fmt: skip
        if fold.build:
            spec = editor(prefix, props, owner_property=owner_property, refs=refs, today=today)
        else:
            spec = clean(draft(prefix))
    groups = draft(prefix)
    if not fold.open and (n := sum(len(g) for g in groups)):
        st.caption(f"{n:,} advanced condition{'s' if n != 1 else ''}"
                   + (f" in {len(groups):,} groups" if len(groups) > 1 else "") + " applied")  # fmt: skip
    return spec


def _blank(names: list[str]) -> dict:
    return {"_id": next(_ids), "property": names[0], "operator": "eq", "value": None}

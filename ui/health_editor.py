"""The health-score profile editor (HS-1..HS-4): groups and rules with pickers, test, preview, publish."""

from __future__ import annotations

import copy
import itertools
import json

import duckdb
import pandas as pd
import streamlit as st

from cs_core import clock, record_list
from cs_core.health import ProfileError, engine, list_profiles, save_profile, validate
from cs_core.health.explain import describe_rule
from cs_core.health.profiles import ACTIVITY_TYPES, ENGAGEMENT_OPERATORS, Profile
from cs_core.health.reports import CATEGORY_LABELS, publish_check, scored_count
from cs_core.records import get_object, list_properties
from cs_core.users import PermissionDenied, User
from ui import filter_editor, state
from ui import text as ut

P = "health"
_ids = itertools.count(1)
OP_WORDS = {"eq": "=", "neq": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "between": "between",
            "is_known": "any", "is_unknown": "none"}  # fmt: skip


def template(object_name: str, *, blank: bool = False) -> dict:
    """A sensible start: a fit group and an engagement group (or one empty property group)."""
    if blank:
        groups = [{"name": "Fit", "kind": "property", "max_points": 100, "rules": []}]
    else:
        groups = [
            {"name": "Fit", "kind": "property", "max_points": 50, "rules": [
                {"when": [{"property": "nps", "operator": "gte", "value": 9}], "points": 25},
                {"when": [{"property": "open_tickets", "operator": "gt", "value": 3}], "points": -15}]},
            {"name": "Engagement", "kind": "engagement", "max_points": 50, "rules": [
                {"activity_types": ["meeting", "call"], "window_days": 30, "measure": "count", "operator": "gte",
                 "value": 2, "points": 30},
                {"activity_types": ["email_reply", "meeting", "call"], "measure": "days_since_last",
                 "operator": "gt", "value": 45, "points": -20}]},
        ]  # fmt: skip
    return {"name": "", "object": object_name, "status": "draft", "missing_data": "no_points",
            "thresholds": {"at_risk_max": 33, "successful_min": 67}, "record_filter": [], "groups": groups}  # fmt: skip


def _with_ids(definition: dict) -> dict:
    d = copy.deepcopy(definition)
    for g in d["groups"]:
        g["_id"] = next(_ids)
        for r in g["rules"]:
            r["_id"] = next(_ids)
            if "when" in r:
                filter_editor.load(f"{P}.rule{r['_id']}", [r["when"]])
    filter_editor.load(
        f"{P}.filter", [d.get("record_filter") or []] if d.get("record_filter") else []
    )
    return d


def _clean(d: dict) -> dict:
    out = {k: v for k, v in d.items() if not k.startswith("_")}
    out["groups"] = [{k: v for k, v in g.items() if k != "_id"} | {"rules": [
        {k: v for k, v in r.items() if k != "_id"} for r in g["rules"]]} for g in d["groups"]]  # fmt: skip
    return out


def _load(definition: dict) -> None:
    st.session_state[f"{P}.draft"] = _with_ids(definition)
    st.session_state[f"{P}.generation"] = next(_ids)


def _engagement_rule(rule: dict, key: str) -> None:
    a, b, c = st.columns([3, 2, 1])
    rule["activity_types"] = a.multiselect("Activity types", ACTIVITY_TYPES, default=rule.get("activity_types", []),
                                           key=f"{key}.types", format_func=lambda t: t.replace("_", " "))  # fmt: skip
    rule["measure"] = b.selectbox("Measure", ["count", "days_since_last"], key=f"{key}.measure",
                                  index=0 if rule.get("measure", "count") == "count" else 1,
                                  format_func={"count": "How many", "days_since_last": "Days since the last"}.get)  # fmt: skip
    if rule["measure"] == "count":
        rule["window_days"] = int(c.number_input("In days", min_value=1, value=int(rule.get("window_days") or 30),
                                                 key=f"{key}.window"))  # fmt: skip
    else:
        rule.pop("window_days", None)
    a, b, c = st.columns([2, 2, 1])
    ops = list(ENGAGEMENT_OPERATORS)
    rule["operator"] = a.selectbox("Operator", ops, index=ops.index(rule.get("operator", "gte")),
                                   format_func=OP_WORDS.get, key=f"{key}.op")  # fmt: skip
    if rule["operator"] == "between":
        v = rule.get("value") if isinstance(rule.get("value"), list) else [0, 0]
        lo = b.number_input("From", value=int(v[0]), step=1, key=f"{key}.lo")
        hi = b.number_input("To", value=int(v[1]), step=1, key=f"{key}.hi")
        rule["value"] = [lo, hi]
    elif rule["operator"] in ("is_known", "is_unknown"):
        rule.pop("value", None)
    else:
        value = rule.get("value") if isinstance(rule.get("value"), int | float) else 1
        rule["value"] = b.number_input("Value", value=int(value), step=1, key=f"{key}.value")
    rule["points"] = int(
        c.number_input("Points", value=int(rule.get("points", 10)), step=5, key=f"{key}.points")
    )


def _group(con, d: dict, g: dict, props: dict, refs: dict, gen: int) -> None:
    key = f"{P}.{gen}.g{g['_id']}"
    with st.container(border=True):
        a, b, c = st.columns([3, 1, 1], vertical_alignment="bottom")
        g["name"] = a.text_input("Group", value=g.get("name", ""), key=f"{key}.name")
        g["max_points"] = int(b.number_input("Max points", min_value=1, max_value=100, value=int(g["max_points"]),
                                             key=f"{key}.max"))  # fmt: skip
        if c.button("Remove group", key=f"{key}.remove", icon=":material/delete:"):
            d["groups"].remove(g)
            st.rerun()
        st.caption("Rules on the record's own properties." if g["kind"] == "property" else
                   "Rules on the activity of the record and its contacts.")  # fmt: skip
        for i, rule in enumerate(list(g["rules"]), start=1):
            rkey = f"{key}.r{rule['_id']}"
            st.markdown(f"**Rule {i}**")
            if g["kind"] == "property":
                when = filter_editor.editor(f"{P}.rule{rule['_id']}", props, owner_property=None, refs=refs,
                                            today=clock.score_date(clock.now()), allow_or=False)  # fmt: skip
                rule["when"] = when[0] if when else []
                rule["points"] = int(st.number_input("Points (negative takes points away)", step=5,
                                                     value=int(rule.get("points", 10)), key=f"{rkey}.points"))  # fmt: skip
            else:
                _engagement_rule(rule, rkey)
            if st.button("Remove rule", key=f"{rkey}.remove", icon=":material/close:"):
                g["rules"].remove(rule)
                st.rerun()
        if st.button("Add a rule", key=f"{key}.add", icon=":material/add:"):
            rule = {"_id": next(_ids), "points": 10}
            if g["kind"] == "property":
                rule["when"] = []
                filter_editor.load(f"{P}.rule{rule['_id']}", [])
            else:
                rule.update(
                    activity_types=["meeting"],
                    measure="count",
                    window_days=30,
                    operator="gte",
                    value=1,
                )
            g["rules"].append(rule)
            st.rerun()


def _outcome(con, profile: Profile, record: int | None) -> None:
    """Points per rule and group for one record (a draft is computed, not stored): each rule in
    words under its group, with the group's points and maximum."""
    frame = engine.compute(con, profile, score_date=clock.score_date(clock.now()), record_id=record)
    if frame.empty:
        st.warning("This profile does not score that record (its record filter leaves it out, or every group "
                   "lacks data).")  # fmt: skip
        return
    row = frame.iloc[0]
    props = record_list.listing_properties(con, profile.object)
    st.markdown(f"**Score {int(row['score'])}**: {CATEGORY_LABELS[row['category']]}")
    for gi, g in enumerate(profile.definition["groups"]):
        with st.container(border=True, key=f"{P}.test.group{gi}"):
            st.markdown(f"**{ut.md(g['name'], ut.LABEL_LIMIT)}**: {int(row[f'g{gi}'])} of {g['max_points']} points"
                        + ("" if row[f"i{gi}"] else " (left out: no data)"))  # fmt: skip
            lines = []
            for ri, rule in enumerate(g["rules"]):
                hit = bool(row[f"r{gi}_{ri}"])
                icon = ":material/check_circle:" if hit else ":material/radio_button_unchecked:"
                lines.append(f"- {icon} {ut.md(describe_rule(rule, props), ut.VALUE_LIMIT)}: "
                             f"{rule['points']:+d}" + ("" if hit else " (not met)"))  # fmt: skip
            st.markdown("\n".join(lines) if lines else "No rules yet.")


def _publish_confirmation(con, user: User, definition: dict, draft: Profile) -> None:
    """What publishing will do (records, categories, overlaps, missing data), then Publish."""
    check = publish_check(con, draft, day=clock.score_date(clock.now()))
    with st.container(border=True, key=f"{P}.publish.confirm"):
        split = " · ".join(f"{CATEGORY_LABELS[c]} {n:,}" for c, n in check.categories.items())
        st.markdown(f"**Publish “{ut.md(draft.name, ut.LABEL_LIMIT)}”?** It will score "
                    f"**{check.records:,}** records now ({split}) and every day after, show on the tabs "
                    "and raise alerts when a category changes.")  # fmt: skip
        if check.records == 0:
            ut.warning("Its record filter leaves every record out: it would score nothing.")
        if check.overlap:
            names = ", ".join(f"“{n}”" for n in check.overlap_profiles)
            ut.warning(f"{check.overlap:,} of these records are already scored by the live profile"
                       f"{'s' if len(check.overlap_profiles) > 1 else ''} {names}: they would have two "
                       "scores. Narrow the record filter to keep one score per record.")  # fmt: skip
        if check.mostly_without_data:
            ut.warning(f"{check.no_data:,} of the {check.records:,} records have no data for any of its groups "
                       "(their score says nothing). Check the rules' properties and activity types.")  # fmt: skip
        a, b = st.columns(2)
        if a.button("Yes, publish", type="primary", key=f"{P}.publish.yes"):
            st.session_state.pop(f"{P}.publishing", None)
            _save(con, user, definition, "live")
        if b.button("Cancel", key=f"{P}.publish.no"):
            st.session_state.pop(f"{P}.publishing", None)
            st.rerun()


def _save(con, user: User, definition: dict, status: str) -> None:
    try:
        saved = save_profile(
            con, actor=user, definition={**definition, "status": status}, now=clock.now()
        )
    except (ProfileError, PermissionDenied) as exc:
        ut.error(exc)
        return
    if status == "live":  # publishing scored the profile in the same transaction
        state.flash(f"“{saved.name}” is live (version {saved.version}): "
                    f"{scored_count(con, saved.id):,} records scored.")  # fmt: skip
    else:
        state.flash(f"Draft “{saved.name}” saved.")
    _load(saved.definition)
    st.rerun()


def editor(con: duckdb.DuckDBPyConnection, user: User, account_object: str) -> None:
    st.subheader("Health scores")
    st.write("Profiles score your customers from 0 to 100. Drafts can be tested freely; a published (live) "
             "profile scores every day, shows on the tabs and raises alerts when a category changes.")  # fmt: skip
    existing = list_profiles(con)
    names = {p.name: p for p in existing}
    if existing:
        st.dataframe(pd.DataFrame([{"Profile": p.name, "Status": p.status, "Version": p.version,
                                    "Object": p.object} for p in existing]), hide_index=True, key=f"{P}.list")  # fmt: skip
    a, b, c = st.columns([3, 2, 2], vertical_alignment="bottom")
    choice = a.selectbox("Edit", ["New from the template", "New, blank", *names], key=f"{P}.choice")
    if (
        b.button("Open", key=f"{P}.open", icon=":material/edit:")
        or f"{P}.draft" not in st.session_state
    ):
        _load(
            names[choice].definition
            if choice in names
            else template(account_object, blank=choice == "New, blank")
        )
        st.rerun()
    upload = c.file_uploader(
        "Import JSON", type=["json"], key=f"{P}.import", label_visibility="collapsed"
    )
    if upload is not None and st.button("Load the imported profile", key=f"{P}.import.load"):
        try:
            _load(json.loads(upload.getvalue()))
        except (ValueError, KeyError, TypeError) as exc:
            ut.error(f"The file is not a profile: {exc}")
        else:
            st.rerun()
    d = st.session_state[f"{P}.draft"]
    gen = st.session_state.get(f"{P}.generation", 0)
    obj = d.get("object", account_object)
    props = record_list.listing_properties(con, obj)
    props = {n: p for n, p in props.items() if p.group_name != "Health"}
    from ui.listing_data import reference_labels

    refs = reference_labels(con, obj)
    with st.container(border=True):
        a, b, c, e = st.columns([3, 1, 1, 2])
        d["name"] = a.text_input("Profile name", value=d.get("name", ""), key=f"{P}.{gen}.name")
        t = d["thresholds"]
        t["at_risk_max"] = int(
            b.number_input("At risk up to", 0, 99, int(t["at_risk_max"]), key=f"{P}.{gen}.low")
        )
        t["successful_min"] = int(c.number_input("Successful from", 1, 100, int(t["successful_min"]),
                                                 key=f"{P}.{gen}.high"))  # fmt: skip
        d["missing_data"] = e.radio("Missing data", ["no_points", "redistribute"], key=f"{P}.{gen}.missing",
                                    index=0 if d.get("missing_data") == "no_points" else 1,
                                    format_func={"no_points": "No points",
                                                 "redistribute": "Leave the group out"}.get)  # fmt: skip
        st.markdown(
            f"**Which {ut.md(get_object(con, obj).label_plural.lower(), ut.LABEL_LIMIT)} this profile "
            "scores** (all must hold)"
        )
        spec = filter_editor.editor(f"{P}.filter", props, owner_property=None, refs=refs,
                                    today=clock.score_date(clock.now()), allow_or=False)  # fmt: skip
        d["record_filter"] = spec[0] if spec else []
    total = sum(int(g["max_points"]) for g in d["groups"])
    st.caption(f"Group maxima add up to {total} of 100.")
    for g in list(d["groups"]):
        _group(con, d, g, props, refs, gen)
    a, b = st.columns(2)
    if a.button("Add a property group", key=f"{P}.add_property", icon=":material/add:"):
        d["groups"].append(
            {"_id": next(_ids), "name": "Fit", "kind": "property", "max_points": 10, "rules": []}
        )
        st.rerun()
    if b.button("Add an engagement group", key=f"{P}.add_engagement", icon=":material/add:"):
        d["groups"].append({"_id": next(_ids), "name": "Engagement", "kind": "engagement", "max_points": 10,
                            "rules": []})  # fmt: skip
        st.rerun()
    definition = _clean(d)
    try:
        checked = validate(con, definition)
    except ProfileError as exc:
        st.warning(
            "Not ready yet:\n\n" + "\n".join(f"- {ut.message(p)}" for p in exc.problems),
            icon=":material/rule:",
        )
        checked = None
    st.download_button("Export JSON", json.dumps(definition, indent=2).encode(), file_name="profile.json",
                       mime="application/json", key=f"{P}.export", icon=":material/download:")  # fmt: skip
    tabs = st.tabs(["Test a record", "Preview distribution"])
    if checked is None:
        for tab in tabs:
            tab.caption(":material/lock: Available once the profile is ready: give it a name and fix what is "
                        "listed above.")  # fmt: skip
        a, b = st.columns(2)
        a.button("Save as draft", key=f"{P}.save.draft", disabled=True)
        b.button("Publish", key=f"{P}.save.live", type="primary", disabled=True)
        return
    draft = Profile(None, checked["name"], checked["object"], "draft", 0, checked)
    with tabs[0]:
        text = st.text_input("Find a record", key=f"{P}.test.search", placeholder="name contains…")
        found = dict(record_list.search(con, obj, text)) if text.strip() else {}
        if found:
            rid = st.selectbox("Record", list(found), format_func=found.get, key=f"{P}.test.record")
            _outcome(con, draft, rid)
        elif text.strip():
            st.caption("No record's name contains that.")
    with tabs[1]:
        frame = engine.compute(con, draft, score_date=clock.score_date(clock.now()))
        counts = frame["category"].value_counts()
        st.markdown(" · ".join(f"{CATEGORY_LABELS[c]}: **{int(counts.get(c, 0)):,}**" for c in CATEGORY_LABELS)
                    + f" · average {frame['score'].mean():.1f}" if len(frame) else "No record would be scored.")  # fmt: skip
    a, b = st.columns(2)
    if a.button("Save as draft", key=f"{P}.save.draft"):
        _save(con, user, definition, "draft")
    if b.button("Publish", key=f"{P}.save.live", type="primary"):
        st.session_state[f"{P}.publishing"] = True
    if st.session_state.get(f"{P}.publishing"):
        _publish_confirmation(con, user, definition, draft)


def backtest_section(con: duckdb.DuckDBPyConnection, account_object: str) -> None:
    """HS-9: how well a profile's latest scores separate the accounts that churned."""
    import plotly.graph_objects as go

    from cs_core.filters import FilterError
    from cs_core.health import reports

    st.subheader("Backtest")
    st.write("Check a profile against accounts whose outcome you know: does it put the ones that churned "
             "in at risk?")  # fmt: skip
    scored = [p for p in list_profiles(con) if reports.is_scored(con, p.id)]
    if not scored:
        st.info("No profile has scores yet. Publish a profile first.", icon=":material/info:")
        return
    names = {p.name: p for p in scored}
    profile = names[st.selectbox("Profile", list(names), key=f"{P}.bt.profile")]
    props = {
        p.name: p
        for p in list_properties(con, profile.object)
        if p.type in ("boolean", "enumeration", "string")
    }
    a, b = st.columns(2)
    outcome = a.selectbox(
        "Outcome property", list(props), format_func=lambda n: props[n].label, key=f"{P}.bt.prop"
    )
    prop = props[outcome]
    if prop.type == "boolean":
        value = b.selectbox("Churned when it is", ["Yes", "No"], key=f"{P}.bt.value")
    elif prop.type == "enumeration":
        value = b.selectbox("Churned when it is", list(prop.options), key=f"{P}.bt.value.{outcome}")
    else:
        value = b.text_input("Churned when it is", key=f"{P}.bt.text")
    if not str(value).strip():
        return
    try:
        result = reports.backtest(con, profile, outcome_property=outcome, churned_value=value)
    except FilterError as exc:
        ut.error(exc)
        return
    if not result.churned or result.churned == result.records:
        st.warning(f"{result.churned:,} of {result.records:,} scored records have that outcome: a backtest needs "
                   "both churned and retained accounts.")  # fmt: skip
        return
    cols = st.columns(4)
    cols[0].metric(
        "ROC AUC", f"{result.auc:.3f}", help="0.5 is a coin toss, 1.0 separates them perfectly"
    )
    cols[1].metric(
        "Precision of at risk",
        f"{result.precision:.0%}",
        help="of the at-risk accounts, how many churned",
    )
    cols[2].metric(
        "Recall of at risk",
        f"{result.recall:.0%}",
        help="of the churned accounts, how many were at risk",
    )
    cols[3].metric("Churned", f"{result.churned:,} of {result.records:,}")
    cats = list(CATEGORY_LABELS)
    fig = go.Figure(go.Bar(x=[CATEGORY_LABELS[c] for c in cats],
                           y=[(result.churn_rate[c] or 0) * 100 for c in cats],
                           marker_color=["#dc2626", "#d97706", "#16a34a"],
                           text=[f"{(result.churn_rate[c] or 0):.0%}" for c in cats], textposition="outside"))  # fmt: skip
    fig.update_layout(
        height=300, yaxis_title="Churn rate (%)", margin={"l": 10, "r": 10, "t": 30, "b": 10}
    )
    st.plotly_chart(fig, key=f"{P}.bt.chart", config={"displayModeBar": False})

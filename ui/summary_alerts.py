"""The Summary tab's alerts (SUM-1): each customer whose health category changed, old → new as
coloured labels, when; 25 a page, newest first; dismissed one by one. Expired ones are gone."""

from __future__ import annotations

import streamlit as st

from cs_core import alerts, clock, settings
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.users import Action, User, can
from ui import text as ut

P = "summary.alerts"
PAGE = 25
BADGES = {"at_risk": "red", "neutral": "orange", "successful": "green"}


def _badge(category) -> str:
    if not isinstance(category, str) or category not in CATEGORY_LABELS:
        return ":gray-badge[new]"
    return f":{BADGES[category]}-badge[{CATEGORY_LABELS[category]}]"


def panel(con, *, actor: User, owner: User) -> None:
    now = clock.now()
    total = alerts.count_active(con, user_id=owner.id, now=now)
    st.subheader(f"Alerts · {total:,}" if total else "Alerts")
    if not total:
        st.caption(
            "No alerts: when the health category of one of your customers changes, it shows here for 14 days."
        )
        return
    pages = -(-total // PAGE)
    page = min(st.session_state.get(f"{P}.page", 1), pages)
    rows = alerts.active_alerts(
        con, user_id=owner.id, now=now, limit=PAGE, offset=(page - 1) * PAGE
    )
    linked = can(actor, Action.USE_WORKSPACE)
    account = settings.get_customer_settings(con).object  # the Customers tab opens its records
    mine = actor.id == owner.id
    for alert_id, obj, record_id, customer, old, new, raised in rows.itertuples(
        index=False, name=None
    ):
        a, b, c, d = st.columns([4, 3, 2, 1], vertical_alignment="center")
        if linked and obj == account:
            a.page_link("app_pages/customers.py", label=ut.md(customer, 60), query_params={"record": int(record_id)},
                        help=ut.tooltip(customer, 60))  # fmt: skip
        else:
            ut.show(customer, where=a, limit=60)
        b.markdown(f"{_badge(old)} → {_badge(new)}")
        c.caption(clock.shown(raised, owner.time_zone, "%d %b, %H:%M"))
        if mine and d.button(
            "", icon=":material/close:", key=f"{P}.dismiss.{alert_id}", help="Dismiss this alert"
        ):
            alerts.dismiss(con, actor=actor, alert_id=int(alert_id))
            st.rerun()
    if pages > 1:
        a, b, c = st.columns([1, 2, 1], vertical_alignment="center")
        if a.button("Newer", icon=":material/chevron_left:", key=f"{P}.newer", disabled=page == 1):
            st.session_state[f"{P}.page"] = page - 1
            st.rerun()
        b.caption(f"Page {page} of {pages} · {total:,} alerts")
        if c.button(
            "Older", icon=":material/chevron_right:", key=f"{P}.older", disabled=page == pages
        ):
            st.session_state[f"{P}.page"] = page + 1
            st.rerun()

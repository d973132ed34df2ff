"""Revenue tab: one or two revenue objects (deals, subscriptions) in their pipelines, as a table or
a board with amount totals (REV-1..REV-4); renewals with the ARR at risk (REN-1); retention:
GRR, NRR, logo churn and the ARR movements behind them (REN-2)."""

import streamlit as st

from cs_core import records, retention, settings
from cs_core.users import Action, can
from ui import auth, db, pipeline_tab, revenue_panels
from ui import text as ut

con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
chosen = settings.get_revenue_settings(con)
usable = [
    (o, info)
    for o in chosen.objects
    if (info := records.get_object(con, o.object)) and info.is_enabled
]
MODES = {"pipelines": "Pipelines", "renewals": "Renewals", "retention": "Retention"}
mode = "pipelines"
if "record" not in st.query_params:
    mode = st.segmented_control("Show", list(MODES), format_func=MODES.get, default="pipelines", key="revenue.mode",
                                label_visibility="collapsed") or "pipelines"  # fmt: skip
if mode == "renewals":
    ut.title("Renewals")
    revenue_panels.renewals_view(con, user=user)
elif mode == "retention":
    ut.title("Retention")
    ledgers = retention.ledger_objects(con)
    if not ledgers:
        st.info("No revenue object has subscription lines to compute retention from: in Settings, Revenue, name "
                "the ARR and start date properties of a revenue object.", icon=":material/info:")  # fmt: skip
        if can(user, Action.MANAGE_SETTINGS):
            st.page_link("app_pages/settings.py", label="Open the revenue settings", icon=":material/settings:",
                         query_params={"section": "revenue"})  # fmt: skip
    else:
        ledger = ledgers[0]
        if len(ledgers) > 1:
            ledger = st.selectbox("Lines from", ledgers, format_func=lambda n: records.get_object(con, n).label_plural,
                                  key="revenue.retention.object")  # fmt: skip
        revenue_panels.retention_panel(con, user=user, object_name=ledger)
elif not usable:
    ut.title("Revenue")
    pipeline_tab.empty_state("Revenue objects (deals, subscriptions)", section="revenue",
                             can_manage=can(user, Action.MANAGE_SETTINGS))  # fmt: skip
else:
    names = [o.object for o, _ in usable]
    labels = {o.object: info.label_plural for o, info in usable}
    first = chosen.default_object if chosen.default_object in names else names[0]
    picked = names[0]
    if len(names) > 1:
        picked = st.segmented_control(
            "Object", names, format_func=labels.get, key="revenue.object", default=first
        )
        picked = picked or first
    obj_settings, info = next((o, i) for o, i in usable if o.object == picked)
    pipeline_tab.pipeline_tab(con, prefix=f"revenue.{picked}", user=user, obj=info, chosen=obj_settings,
                              quick=("created_at", "last_activity_at"))  # fmt: skip

"""Settings: what the Customers, Services and Revenue tabs show (S-1..S-4)."""

import streamlit as st

from cs_core import clock, preview_settings, record_detail, records, settings
from cs_core.reports import results
from cs_core.reports.definition import ReportError
from cs_core.settings import CustomerSettings, RevenueSettings, SettingsError
from cs_core.users import Action, can
from ui import auth, backup_panel, daily_panel, db, health_editor, import_wizard
from ui import text as ut
from ui.settings_form import object_label, object_settings, opened, owner_and_renewal, save_opened

con = db.connection()
user = auth.require_page(con, Action.MANAGE_SETTINGS)

st.title("Customer Success settings")
st.caption(
    "Choose what each tab shows. Changes apply to everyone's workspace as soon as they are saved."
)


def save(section: str, saver, value, *, key: str, seen) -> None:
    """Save a section through cs_core, refused when someone saved it since ``seen``."""
    save_opened(key, lambda: saver(con, actor=user, value=value, now=clock.now(), expected=seen),
                refusals=(SettingsError,), done=lambda _: f"{section} settings saved.")  # fmt: skip


def last_saved(key: str) -> None:
    change = settings.last_change(con, key)
    if change:
        when, who = change
        st.caption(f"Last saved {clock.shown(when, user.time_zone, '%d %b %Y, %H:%M')} "
                   f"({user.time_zone}) by {ut.md(who or 'the system', ut.LABEL_LIMIT)}.")  # fmt: skip


# Sections by the name a link uses (settings?section=health opens the health scores).
SECTIONS = {"customers": "Customers", "services": "Services", "revenue": "Revenue",
            "health": "Health scores", "reports": "Reports", "import": "Import",
            "backups": "Backups"}  # fmt: skip
asked = st.query_params.get("section")


def _preview_settings(object_name: str) -> None:
    """Which properties the record preview shows, in order."""
    st.divider()
    st.markdown("**Record preview**")
    props = {p.name: p for p in records.list_properties(con, object_name)}
    shown = record_detail.preview_properties(con, object_name, props)
    key = f"preview.{object_name}"
    seen = opened(key, preview_settings.get_preview_properties(con, object_name))
    chosen = st.multiselect(
        "Properties the preview shows, in this order", list(props), default=shown,
        format_func=lambda n: props[n].label, key=f"settings.preview.{object_name}",
        max_selections=preview_settings.MAX_PREVIEW_PROPERTIES,
    )  # fmt: skip
    if st.button("Save preview properties", key="settings.preview.save"):
        save_opened(key, lambda: preview_settings.save_preview_properties(
            con, actor=user, object_name=object_name, properties=chosen, now=clock.now(), expected=seen),
            refusals=(SettingsError,), done=lambda _: "Preview properties saved.")  # fmt: skip
    last_saved(f"preview.{object_name}")


customers_tab, services_tab, revenue_tab, health_tab, reports_tab, import_tab, backups_tab = (
    st.tabs(
        list(SECTIONS.values()),
        default=SECTIONS.get(asked or "", "Customers"),
        key="settings.section",
    )
)

with customers_tab:
    current = settings.get_customer_settings(con)
    seen = opened("customers", current)
    choices = settings.customer_object_choices(con)
    st.subheader("Customers")
    st.write("The object whose records are your customers, who owns them, and when they renew.")
    obj = st.selectbox(
        "Account object",
        choices,
        index=choices.index(current.object) if current.object in choices else 0,
        format_func=lambda n: object_label(con, n),
        key="settings.customers.object",
    )
    same = current.object == obj
    owner, renewal = owner_and_renewal(
        con,
        obj,
        current.owner_property if same else None,
        current.renewal_date_property if same else None,
        prefix="settings.customers",
    )
    if st.button("Save customer settings", type="primary", key="settings.customers.save"):
        save(
            "Customer",
            settings.save_customer_settings,
            CustomerSettings(object=obj, owner_property=owner or "", renewal_date_property=renewal),
            key="customers",
            seen=seen,
        )
    last_saved("customers")
    _preview_settings(current.object)

with services_tab:
    st.subheader("Services")
    st.write("Onboarding, implementation and other services your team delivers.")
    choices = settings.service_object_choices(con)
    if not choices:
        st.info(
            "There is no services object to configure: enable the Services object or "
            "create a custom object for services first.",
            icon=":material/info:",
        )
    else:
        current = settings.get_service_settings(con)
        seen = opened("services", current)
        obj = st.selectbox(
            "Service object",
            choices,
            index=choices.index(current.object) if current and current.object in choices else 0,
            format_func=lambda n: object_label(con, n),
            key="settings.services.object",
        )
        value = object_settings(con, obj, current, prefix="settings.services")
        if st.button("Save service settings", type="primary", key="settings.services.save"):
            save("Service", settings.save_service_settings, value, key="services", seen=seen)
        last_saved("services")

with revenue_tab:
    st.subheader("Revenue")
    st.write(
        f"Up to {settings.MAX_REVENUE_OBJECTS} objects that hold revenue, such as deals or "
        "subscriptions, and the one the Revenue tab opens with."
    )
    current = settings.get_revenue_settings(con)
    seen = opened("revenue", current)
    choices = settings.revenue_object_choices(con)
    chosen = st.multiselect(
        "Revenue objects",
        choices,
        default=[o.object for o in current.objects if o.object in choices],
        format_func=lambda n: object_label(con, n),
        key="settings.revenue.objects",
        placeholder="Choose one or two objects",
    )
    if len(chosen) > settings.MAX_REVENUE_OBJECTS:
        st.warning(
            f"Choose at most {settings.MAX_REVENUE_OBJECTS} revenue objects; "
            f"{len(chosen)} are chosen.",
            icon=":material/warning:",
        )
    default_obj = None
    if chosen:
        default_obj = st.selectbox(
            "Default object",
            chosen,
            index=chosen.index(current.default_object) if current.default_object in chosen else 0,
            format_func=lambda n: object_label(con, n),
            key="settings.revenue.default_object",
            help="The object the Revenue tab shows first.",
        )
    values = []
    for obj in chosen:
        with st.container(border=True):
            st.markdown(f"**{ut.md(object_label(con, obj), ut.LABEL_LIMIT)}**")
            values.append(
                object_settings(
                    con,
                    obj,
                    current.for_object(obj),
                    prefix="settings.revenue",
                    renewal_label="Renewal or end date property",
                    ledger=True,
                )
            )
    if st.button("Save revenue settings", type="primary", key="settings.revenue.save"):
        save(
            "Revenue",
            settings.save_revenue_settings,
            RevenueSettings(objects=tuple(values), default_object=default_obj),
            key="revenue",
            seen=seen,
        )
    last_saved("revenue")

with reports_tab:
    st.subheader("Reports")
    st.write("How long one report's query may run on dashboards, the Summary tab and the command line. "
             "A report that takes longer is stopped with a message saying so, and nothing else waits on it.")  # fmt: skip
    low, high = results.LIMIT_RANGE_S
    seen = opened(results.SETTINGS_KEY, results.time_limit(con))
    seconds = st.number_input("Time limit per report (seconds)", min_value=low, max_value=high, step=1.0,
                              value=results.time_limit(con), key="settings.reports.limit")  # fmt: skip
    if st.button("Save report settings", type="primary", key="settings.reports.save"):
        save_opened(results.SETTINGS_KEY, lambda: results.save_time_limit(
            con, actor=user, seconds=seconds, now=clock.now(), expected=seen),
            refusals=(ReportError,), done=lambda _: "Report settings saved.")  # fmt: skip
    last_saved(results.SETTINGS_KEY)

with import_tab:
    if can(user, Action.IMPORT_DATA):
        import_wizard.wizard(con, user)
    else:
        st.info(
            "Importing data needs the permission to manage Customer Success settings.",
            icon=":material/lock:",
        )

with health_tab:
    if can(user, Action.EDIT_HEALTH_PROFILES):
        profiles_tab, backtest_tab, daily_tab = st.tabs(["Profiles", "Backtest", "Daily run"])
        with profiles_tab:
            health_editor.editor(con, user, settings.get_customer_settings(con).object)
        with backtest_tab:
            health_editor.backtest_section(con, settings.get_customer_settings(con).object)
    else:
        st.info(
            "Creating or editing health-score profiles needs a service seat and the permission to manage "
            "Customer Success settings.",
            icon=":material/lock:",
        )
        daily_tab = st.container()
    with daily_tab:
        daily_panel.section(con, user)

with backups_tab:
    backup_panel.section(con, user)

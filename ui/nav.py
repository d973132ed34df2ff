"""The tabs a user may open, in the product's order."""

from __future__ import annotations

import streamlit as st

from cs_core.users import Action, User, can

# Tabs in display order: (script, title, icon, url path, permission). A tab is listed
# here only once its feature exists.
# fmt: off
TABS = [
    ("app_pages/summary.py", "Summary", ":material/dashboard:", "summary", Action.VIEW_SUMMARY),
    ("app_pages/customers.py", "Customers", ":material/groups:", "customers", Action.USE_WORKSPACE),
    ("app_pages/services.py", "Services", ":material/handyman:", "services", Action.USE_WORKSPACE),
    ("app_pages/revenue.py", "Revenue", ":material/payments:", "revenue", Action.USE_WORKSPACE),
    ("app_pages/actions.py", "Actions", ":material/task_alt:", "actions", Action.USE_WORKSPACE),
    ("app_pages/schedule.py", "Schedule", ":material/calendar_month:", "schedule", Action.USE_WORKSPACE),
    ("app_pages/feed.py", "Feed", ":material/dynamic_feed:", "feed", Action.USE_WORKSPACE),
    ("app_pages/dashboards.py", "Dashboards", ":material/space_dashboard:", "dashboards", Action.USE_WORKSPACE),
    ("app_pages/settings.py", "Settings", ":material/settings:", "settings", Action.MANAGE_SETTINGS),
]
# fmt: on


def pages_for(user: User | None) -> list[st.Page]:
    """The st.Page list for this user; a single "no access" page when they may open none."""
    pages = [
        st.Page(script, title=title, icon=icon, url_path=path)
        for script, title, icon, path, action in TABS
        if can(user, action)
    ]
    if not pages:
        return [
            st.Page(
                "app_pages/no_access.py",
                title="No access",
                icon=":material/lock:",
                url_path="no-access",
            )
        ]
    return pages

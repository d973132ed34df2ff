"""Shown to anyone who may open no tab of the workspace (U-2)."""

import streamlit as st

from ui import auth, db
from ui import text as ut

con = db.connection()
user = auth.current_user(con)

st.title("No access to the Customer Success workspace")
if user is None:
    email = st.user.get("email") if auth.sign_in_configured() else None
    who = f"**{ut.md(email, ut.LABEL_LIMIT)}** is" if email else "You are"
    st.write(f"{who} not a user of this workspace.")
else:
    missing = []
    if not user.has_workspace_access and not user.is_super_admin:
        missing.append("Customer Success workspace access")
    if not user.has_service_seat and not user.is_super_admin:
        missing.append("a service seat")
    need = " and ".join(missing) or "workspace access"
    st.write(f"**{ut.md(user.name, ut.LABEL_LIMIT)}** needs {need} to use the workspace.")
st.info(
    "Ask a super admin or your Customer Success operations team to give you access. "
    "Nothing in the workspace is shown until then.",
    icon=":material/lock:",
)

"""Entry: page config, who is signed in, and the tabs they may open."""

import streamlit as st

from ui import auth, db, nav, state

st.set_page_config(page_title="Customer Success", page_icon="🤝", layout="wide")

con = db.connection()
user = auth.resolve_user(con)
state.show_flash()
st.navigation(nav.pages_for(user), position="top").run()

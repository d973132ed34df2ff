"""Shared Streamlit widgets and session state (the only code besides pages that imports streamlit)."""

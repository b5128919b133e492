"""Shared UI code of the Streamlit pages (not pages themselves)."""

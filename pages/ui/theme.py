"""Page chrome shared by every page: tighter margins so the working area fits a 1366×768 laptop screen.

UI layer. Plain CSS, nothing fetched from the network (no web fonts, no icon fonts).
"""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; max-width: 1500px; }
[data-testid="stMainBlockContainer"] h1 { padding-top: 0; padding-bottom: 0.3rem; font-size: 2rem; }
</style>
"""


def apply() -> None:
    st.html(CSS)

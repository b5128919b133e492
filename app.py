"""QNP Studio, the Streamlit app: a router over the pages in ``pages/`` (no logic here).

Run with ``streamlit run app.py``; the run database is ``./qnp_studio.db`` unless ``QNP_STUDIO_DB``
(a file path) or ``QNP_STUDIO_DB_URL`` (an SQLAlchemy URL) says otherwise.
"""

import streamlit as st

from pages.ui import theme
from pages.ui.services import sidebar_status

st.set_page_config(page_title="QNP Studio", page_icon="⚛️", layout="wide", initial_sidebar_state="expanded")
theme.apply()

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/designer.py", title="Designer", icon="🛠️", url_path="designer"),
    st.Page("pages/requests_qos.py", title="Requests & QoS", icon="🎯", url_path="requests_qos"),
    st.Page("pages/run.py", title="Run", icon="▶️", url_path="run"),
    st.Page("pages/qnn.py", title="QNN", icon="🧠", url_path="qnn"),
    st.Page("pages/history.py", title="History", icon="🗂️", url_path="history"),
]

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("QNP Studio · Quantum Network Protocol simulator")
    sidebar_status()
page.run()

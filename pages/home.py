"""Landing page: what QNP Studio is, the sample networks drawn with plotly, and a one-click demo."""

from __future__ import annotations

import streamlit as st

from pages.ui import session
from pages.ui.demo import start_demo
from pages.ui.draft import draft_from_yaml
from pages.ui.figures import network_figure
from pages.ui.maps import draft_map
from pages.ui.router import run_page

INTRO = """
Design quantum networks in the browser and simulate them running the **Quantum Network Protocol**
(Kozlowski, Dahlberg & Wehner, CoNEXT 2020): draw nodes and fibre links, ask for entangled pairs with a
fidelity target, and watch the pairs flow on a live fidelity map. Runs are stored, can be compared and
exported.
"""


@st.cache_data(show_spinner=False)
def sample_draft(name: str) -> dict:
    return draft_from_yaml(session.sample_yaml(name))


def main() -> None:
    st.title("⚛️ QNP Studio")
    st.markdown(INTRO)
    names = session.sample_names()
    left, right = st.columns([0.34, 0.66], gap="medium")
    with left:
        pick = st.radio("Sample networks", names, key="home_sample",
                        index=names.index("metro-randstad") if "metro-randstad" in names else 0)
        draft = sample_draft(pick)
        st.caption(draft.get("description") or "")
        st.markdown(f"**{len(draft['nodes'])}** nodes · **{len(draft['links'])}** links · "
                    f"**{len(draft.get('requests') or [])}** requests")
        if st.button("🛠️ Open in the designer", key="home_open", width="stretch"):
            # st.cache_data hands out a fresh copy: the designer may edit it without touching the cache.
            session.set_draft(sample_draft(pick), source=f"sample {pick}", remount=True)
            st.switch_page("pages/designer.py")
        demo = st.button("▶️ Demo: open and run it", key="home_demo", type="primary", width="stretch",
                         help="opens this sample and starts a live simulation of it in one click")
        if demo and start_demo(pick):
            st.switch_page("pages/run.py")
    with right:
        nodes, links, lat0 = draft_map(draft)
        st.plotly_chart(network_figure(nodes, links, geo_lat0=lat0, title=pick, height=470), key="home_map")
        st.caption("Links are coloured by the fidelity of the pairs they herald; ● end nodes, ◆ repeaters.")
    st.divider()
    st.markdown("**Next:** 🛠️ *Designer* to draw or edit a network · 🎯 *Requests & QoS* to ask for pairs and check "
                "feasibility · ▶️ *Run* to simulate live · 🗂️ *History* to compare and export runs.")


run_page(main)

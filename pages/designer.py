"""Designer page: draw the network with the mouse, edit its attributes, validate, save and download.

The canvas (streamlit-flow), the inspector and the tables all edit one draft (``pages.ui.session``).
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit_flow import streamlit_flow

from pages.ui import designer_io, editors, session
from pages.ui.draft import Draft, add_node, new_node, unique_name
from pages.ui.figures import network_figure
from pages.ui.flow_adapter import apply_flow
from pages.ui.layout import compute_layout
from pages.ui.maps import draft_map
from pages.ui.router import run_page

log = logging.getLogger("qnp_studio.designer")
CANVAS_HELP = ("🖱️ **Right-click** empty space: add a node · **drag** a node's right dot onto another node: "
               "connect · **drag**: move · **right-click** a node or link: delete · **click**: inspect")


def canvas(draft: Draft) -> None:
    state, _ = session.flow_state()
    returned = streamlit_flow(
        f"designer_canvas_{session.flow_mount()}", state, height=600, fit_view=session.flow_fit(),
        allow_new_edges=True, enable_pane_menu=True, enable_node_menu=True, enable_edge_menu=True,
        get_node_on_click=True, get_edge_on_click=True, min_zoom=0.1, hide_watermark=True, show_controls=True)
    if not session.is_new_canvas_event(returned):
        return
    if returned.selected_id:
        session.set_inspect_target(returned.selected_id)
    # Diff against the push the canvas was showing: its echo of an older push changes nothing.
    new, changes = apply_flow(draft, returned, session.base_view(returned), session.flow_aliases())
    if changes.any:
        log.info("canvas: %s", changes.summary())
        session.set_draft(new)
        text = changes.summary()
        session.notify(text[:1].upper() + text[1:])
        st.rerun()


def add_buttons(draft: Draft) -> None:
    c1, c2 = st.columns(2)
    for col, role, prefix in ((c1, "end", "E"), (c2, "repeater", "R")):
        if col.button(f"➕ {role.capitalize()}", key=f"add_{role}", width="stretch", help=f"add a {role} node"):
            layout = compute_layout(draft["nodes"], draft["links"])
            name = unique_name(draft, prefix + "1", prefix)
            xs = [p[0] for p in layout.pos.values()] or [0.0]
            ys = [p[1] for p in layout.pos.values()] or [0.0]
            if layout.geo:
                lat, lon = layout.to_geo(max(xs) + 0.05, sum(ys) / len(ys))
                node = new_node(draft, name, role, lat=round(lat, 5), lon=round(lon, 5))
            else:
                node = new_node(draft, name, role, x=round(max(xs) + 1.0, 3), y=round(sum(ys) / len(ys), 3))
            session.set_inspect_target(name)
            session.set_draft(add_node(draft, node))
            st.rerun()


def scenario_tab(draft: Draft) -> None:
    v = session.editor_version()
    name = st.text_input("Network name", value=str(draft.get("name") or ""), key=f"net_name_{v}")
    desc = st.text_area("Description", value=str(draft.get("description") or ""), key=f"net_desc_{v}", height=80)
    if (name, desc) != (draft.get("name"), draft.get("description") or ""):
        session.set_draft(dict(draft, name=name, description=desc))
        st.rerun()


TABS = ("Nodes", "Links", "Link physics", "Map view", "Name & description")


def detail_tabs(draft: Draft, errors) -> None:
    """Tables, map and name under the canvas. Lazy (``on_change="rerun"``): only the open tab is built and
    sent, so the browser is not busy drawing hidden tables and maps while the canvas starts up."""
    tabs = dict(zip(TABS, st.tabs(TABS, key=session.DESIGNER_TAB, on_change="rerun"), strict=True))
    with tabs["Nodes"]:
        if tabs["Nodes"].open:
            editors.show_errors(draft, errors, "nodes")
            editors.node_table(draft)
    with tabs["Links"]:
        if tabs["Links"].open:
            editors.show_errors(draft, errors, "links")
            editors.link_table(draft)
    with tabs["Link physics"]:
        if tabs["Link physics"].open:
            editors.physics_table(draft)
    with tabs["Map view"]:
        if tabs["Map view"].open:
            map_view(draft)
    with tabs["Name & description"]:
        if tabs["Name & description"].open:
            scenario_tab(draft)


def map_view(draft: Draft) -> None:
    nodes, links, lat0 = draft_map(draft)
    title = "Geographic view (lat/lon)" if lat0 is not None else "Layout view"
    st.plotly_chart(network_figure(nodes, links, geo_lat0=lat0, title=title, height=480), key="designer_map")
    st.caption("Links are coloured by the fidelity of the pairs they herald (same scale on every page).")


def main() -> None:
    st.title("🛠️ Designer")
    notice = session.pop_notice()
    if notice:
        st.toast(notice, icon="✅")
    # Lazy: its widgets are built only while it is open (most visits never open it).
    opener = st.expander("📂 Open a sample, a YAML file or a saved topology", key=session.DESIGNER_OPENER,
                         on_change="rerun")
    with opener:
        if opener.open:
            designer_io.open_bar()
    draft = session.get_draft()
    scenario, errors = session.validation()
    st.caption(f"Editing **{draft.get('name')}** (from {session.draft_source()}) · {len(draft['nodes'])} nodes · "
               f"{len(draft['links'])} links · {len(draft.get('requests') or [])} requests")
    designer_io.action_bar(draft, scenario is not None)
    if errors:
        editors.show_errors(draft, errors)
    left, right = st.columns([0.7, 0.3], gap="small")
    with left:
        st.caption(CANVAS_HELP)
        canvas(draft)
    with right:
        st.markdown("##### Inspector")
        add_buttons(draft)
        editors.inspector(draft, errors)
    detail_tabs(draft, errors)


run_page(main)

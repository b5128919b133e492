"""Streamlit editors over the draft: node / link / request tables and the side inspector.

UI layer. Every editor reads the draft, and on a change writes a new draft through
``session.set_draft`` (undoable) and reruns. Widget keys carry the editor version so a table's
pending delta is dropped once it has been folded into the draft.
"""

from __future__ import annotations

import math

import streamlit as st

from pages.ui import session
from pages.ui.derived import link_physics
from pages.ui.draft import Draft, describe_path, errors_for, rename_node
from pages.ui.tables import (
    apply_link_delta,
    apply_node_delta,
    apply_request_delta,
    link_rows,
    node_rows,
    request_rows,
)

NUM = st.column_config.NumberColumn
ROLES = ["end", "repeater"]
MODELS = ["abstract", "single_click", "double_click"]
QOS = ["measure_directly", "create_and_keep"]


def show_errors(draft: Draft, errors, kind: str | None = None) -> None:
    """Field-named messages (never a traceback), optionally only those of one part of the draft."""
    items = errors if kind is None else errors_for(errors, kind)
    if items:
        lines = "\n".join(f"- **{describe_path(draft, e.path)}**: {e.message}" if e.path else f"- {e.message}"
                          for e in items)
        st.error(f"{len(items)} problem(s) to fix:\n{lines}", icon="⚠️")


def _has_delta(delta) -> bool:
    return bool(delta) and any(delta.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def node_table(draft: Draft) -> None:
    key = f"nodes_table_{session.editor_version()}"
    st.data_editor(
        node_rows(draft), key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder="—",
        column_config={
            "name": st.column_config.TextColumn("name", required=True, help="letters, digits, _ . -"),
            "role": st.column_config.SelectboxColumn("role", options=ROLES, required=True),
            "x": NUM("x", format="%.3f"), "y": NUM("y", format="%.3f"),
            "lat": NUM("lat (°)", format="%.5f"), "lon": NUM("lon (°)", format="%.5f"),
            "qubits_per_link": NUM("qubits / link", step=1, format="%d"),
            "t1_s": NUM("T1 (s)", help="empty = no decay (∞)", format="%.4g"),
            "t2_s": NUM("T2 (s)", help="empty = no decay (∞)", format="%.4g"),
            "depolarizing_time_s": NUM("T depol. (s)", help="empty = none (∞)", format="%.4g"),
        })
    delta = st.session_state.get(key)
    if _has_delta(delta):
        session.set_draft(apply_node_delta(draft, delta))
        st.rerun()


def link_table(draft: Draft) -> None:
    key = f"links_table_{session.editor_version()}"
    names = [str(n.get("name")) for n in draft.get("nodes") or []]
    st.data_editor(
        link_rows(draft), key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder="—",
        column_config={
            "a": st.column_config.SelectboxColumn("a", options=names, required=True),
            "b": st.column_config.SelectboxColumn("b", options=names, required=True),
            "model": st.column_config.SelectboxColumn("model", options=MODELS, required=True),
            "length_km": NUM("length (km)", help="empty: from lat/lon, else 0", format="%.3f"),
            "attenuation_db_per_km": NUM("loss (dB/km)", format="%.3f"),
            "success_probability": NUM("p (abstract)", format="%.4g"),
            "fidelity": NUM("F (abstract)", format="%.4f"),
            "attempt_time_s": NUM("attempt (s)", format="%.3g"),
            "cycle_time_s": NUM("cycle (s)", format="%.3g"),
            "detection_efficiency": NUM("det. eff.", format="%.3f"),
            "alpha": NUM("α", format="%.3f"),
            "dark_count_probability": NUM("dark count p", format="%.3g"),
            "visibility": NUM("visibility", format="%.3f"),
        })
    delta = st.session_state.get(key)
    if _has_delta(delta):
        session.set_draft(apply_link_delta(draft, delta))
        st.rerun()


def request_table(draft: Draft) -> None:
    key = f"requests_table_{session.editor_version()}"
    ends = [str(n.get("name")) for n in draft.get("nodes") or [] if n.get("role") == "end"]
    st.data_editor(
        request_rows(draft), key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder="—",
        column_config={
            "name": st.column_config.TextColumn("name", required=True),
            "src": st.column_config.SelectboxColumn("src", options=ends, required=True),
            "dst": st.column_config.SelectboxColumn("dst", options=ends, required=True),
            "qos": st.column_config.SelectboxColumn("QoS mode", options=QOS, required=True),
            "min_fidelity": NUM("min fidelity", format="%.3f"),
            "pairs": NUM("pairs", step=1, format="%d"),
            "rate_hz": NUM("rate (Hz)", format="%.4g"),
            "cutoff_s": NUM("cutoff (s)", format="%.4g"),
            "deadline_s": NUM("deadline (s)", format="%.4g"),
            "start_s": NUM("start (s)", format="%.4g"),
            "weight": NUM("weight", format="%.3g"),
        })
    delta = st.session_state.get(key)
    if _has_delta(delta):
        session.set_draft(apply_request_delta(draft, delta))
        st.rerun()


def _num_input(label: str, value, key: str, help: str | None = None, fmt: str = "%.6g"):
    # No min/max here on purpose: a bad value must reach validation and get a field-named message.
    v = None if value is None or (isinstance(value, float) and math.isinf(value)) else float(value)
    return st.number_input(label, value=v, key=key, help=help, format=fmt, placeholder="not set")


def inspector(draft: Draft, errors) -> None:
    """Side panel: attributes of the node or link selected on the canvas (or in the list)."""
    nodes = [str(n.get("name")) for n in draft.get("nodes") or []]
    links = [f"{lk.get('a')}--{lk.get('b')}" for lk in draft.get("links") or []]
    options = [f"node {n}" for n in nodes] + [f"link {lk}" for lk in links]
    target = session.inspect_target()
    wanted = f"node {target}" if target in nodes else f"link {target}" if target in links else None
    if not options:
        st.info("Add a node to start.")
        return
    if wanted is not None:
        st.session_state["inspect_select"] = wanted
    elif st.session_state.get("inspect_select") not in options:
        st.session_state["inspect_select"] = options[0]
    choice = st.selectbox("Selected element", options, key="inspect_select", on_change=_forget_target)
    kind, ident = choice.split(" ", 1)
    if kind == "node":
        _node_form(draft, nodes.index(ident), errors)
    else:
        _link_form(draft, links.index(ident), errors)


def _forget_target() -> None:
    # The user picked from the list: remember it like a canvas click.
    session.set_inspect_target(str(st.session_state["inspect_select"]).split(" ", 1)[1])


def _node_form(draft: Draft, i: int, errors) -> None:
    node = draft["nodes"][i]
    mem = node.get("memory") or {}
    v = f"n{i}_{session.editor_version()}"
    with st.form(f"node_form_{v}", border=False):
        name = st.text_input("Name", value=str(node.get("name")), key=f"name_{v}")
        role = st.radio("Role", ROLES, index=ROLES.index(node.get("role")) if node.get("role") in ROLES else 1,
                        horizontal=True, key=f"role_{v}")
        q = mem.get("qubits_per_link")
        qubits = st.number_input("Memory qubits per link", value=int(q) if isinstance(q, int | float) else None,
                                 step=1, key=f"q_{v}", placeholder="not set")
        t1 = _num_input("T1 (s)", mem.get("t1_s"), f"t1_{v}", "empty = no decay (∞)")
        t2 = _num_input("T2 (s)", mem.get("t2_s"), f"t2_{v}", "empty = no decay (∞)")
        c1, c2 = st.columns(2)
        with c1:
            applied = st.form_submit_button("Apply", type="primary", width="stretch")
        with c2:
            deleted = st.form_submit_button("Delete node", width="stretch")
    _item_errors(draft, errors, f"nodes[{i}]")
    if deleted:
        new = dict(draft, nodes=[n for j, n in enumerate(draft["nodes"]) if j != i],
                   links=[lk for lk in draft["links"] if node.get("name") not in (lk.get("a"), lk.get("b"))])
        session.set_inspect_target(None)
        session.set_draft(new)
        st.rerun()
    if applied:
        new = rename_node(draft, str(node.get("name")), name.strip()) if name.strip() != node.get("name") else draft
        new = dict(new, nodes=[dict(n) for n in new["nodes"]])
        target = new["nodes"][i]
        target["role"] = role
        target["memory"] = dict(target.get("memory") or {}, qubits_per_link=int(qubits) if qubits is not None else None,
                                t1_s=math.inf if t1 is None else t1, t2_s=math.inf if t2 is None else t2)
        session.set_inspect_target(name.strip())
        session.set_draft(new)
        st.rerun()


def _link_form(draft: Draft, i: int, errors) -> None:
    link = draft["links"][i]
    v = f"l{i}_{session.editor_version()}"
    with st.form(f"link_form_{v}", border=False):
        model = st.selectbox("Link model", MODELS, index=MODELS.index(link.get("model")) if link.get("model") in MODELS
                             else 0, key=f"model_{v}")
        values = {"model": model}
        values["length_km"] = _num_input("Length (km)", link.get("length_km"), f"len_{v}", "empty: from lat/lon")
        values["attenuation_db_per_km"] = _num_input("Attenuation (dB/km)", link.get("attenuation_db_per_km"),
                                                     f"att_{v}")
        if model == "abstract":
            values["success_probability"] = _num_input("Success probability / attempt",
                                                       link.get("success_probability"), f"p_{v}")
            values["fidelity"] = _num_input("Pair fidelity", link.get("fidelity"), f"f_{v}")
        else:
            values["detection_efficiency"] = _num_input("Detection efficiency", link.get("detection_efficiency"),
                                                        f"eta_{v}")
            if model == "single_click":
                values["alpha"] = _num_input("Bright-state population α", link.get("alpha"), f"alpha_{v}")
            values["visibility"] = _num_input("Visibility", link.get("visibility"), f"vis_{v}")
        c1, c2 = st.columns(2)
        with c1:
            applied = st.form_submit_button("Apply", type="primary", width="stretch")
        with c2:
            deleted = st.form_submit_button("Delete link", width="stretch")
    _item_errors(draft, errors, f"links[{i}]")
    phys = link_physics(draft)[i]
    if phys is not None:
        st.caption(f"η = {phys.transmissivity:.3g} · p = {phys.success_probability:.3g} per attempt · "
                   f"{phys.pair_rate_hz:,.0f} pairs/s · F = {phys.fidelity:.4f}")
    if deleted:
        session.set_inspect_target(None)
        session.set_draft(dict(draft, links=[lk for j, lk in enumerate(draft["links"]) if j != i]))
        st.rerun()
    if applied:
        links = [dict(lk) for lk in draft["links"]]
        links[i].update(values)
        session.set_draft(dict(draft, links=links))
        st.rerun()


def _item_errors(draft: Draft, errors, prefix: str) -> None:
    for e in errors:
        if e.path == prefix or e.path.startswith((prefix + ".", prefix + "[")):
            st.error(f"**{describe_path(draft, e.path)}**: {e.message}", icon="⚠️")


def request_form(draft: Draft) -> None:
    """Add one request with plain widgets (keyboard-friendly; the table above edits the rest)."""
    ends = [str(n.get("name")) for n in draft.get("nodes") or [] if n.get("role") == "end"]
    if len(ends) < 2:
        st.info("Requests connect two **end** nodes: set a node's role to *end* in the Designer.", icon="ℹ️")
        return
    taken = {r.get("name") for r in draft.get("requests") or []}
    default = next(f"req{i}" for i in range(1, len(taken) + 2) if f"req{i}" not in taken)
    with st.form("add_request", border=True):
        c = st.columns([1, 1, 1, 1.4, 1, 1])
        name = c[0].text_input("Name", value=default, key="req_name")
        src = c[1].selectbox("From", ends, key="req_src")
        dst = c[2].selectbox("To", ends, index=min(1, len(ends) - 1), key="req_dst")
        qos = c[3].selectbox("QoS mode", QOS, key="req_qos")
        fmin = c[4].number_input("Min fidelity", value=0.8, format="%.3f", key="req_fmin")
        pairs = c[5].number_input("Pairs", value=None, step=1, key="req_pairs", placeholder="∞")
        if st.form_submit_button("➕ Add request"):
            req = {"name": name.strip(), "src": src, "dst": dst, "qos": qos, "min_fidelity": fmin,
                   "pairs": int(pairs) if pairs is not None else None}
            session.set_draft(dict(draft, requests=[*(draft.get("requests") or []), req]))
            st.rerun()


def physics_table(draft: Draft) -> None:
    """Derived values per link: transmissivity, success probability, pair rate, pair fidelity."""
    rows = [p.row() for p in link_physics(draft) if p is not None]
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "transmissivity η": NUM(format="%.4g"), "p success / attempt": NUM(format="%.4g"),
        "attempt time (µs)": NUM(format="%.3g"), "pair rate (Hz)": NUM(format="%.4g"),
        "pair fidelity": NUM(format="%.4f")})
    st.caption("Derived from each link's model with the engine's physical layer; invalid links are left out.")

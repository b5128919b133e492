"""Plain pytest for the canvas adapter, layout, derived physics, maps and figures (no Streamlit runtime)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from streamlit_flow.elements import StreamlitFlowEdge, StreamlitFlowNode

from pages.ui.derived import link_physics
from pages.ui.draft import add_node, draft_from_yaml, new_node, validate
from pages.ui.figures import (
    FIDELITY_RANGE,
    MapCircuit,
    MapLink,
    MapNode,
    Series,
    fidelity_color,
    figures_html,
    network_figure,
    timeseries_figure,
)
from pages.ui.flow_adapter import apply_flow, flow_from_draft, push_of
from pages.ui.layout import compute_layout
from pages.ui.maps import draft_map, run_map
from pages.ui.run_data import headline, key_figures, run_context
from qnp_engine.apps.keyrate import binary_entropy
from qnp_engine.physical.fibre import transmissivity


def sample(name: str) -> dict:
    return draft_from_yaml(Path(f"sample_topologies/{name}.yaml").read_text())


def test_flow_state_mirrors_the_draft() -> None:
    state, view = flow_from_draft(sample("chain-3"))
    assert [n.id for n in state.nodes] == ["A", "R", "B"]
    assert [(e.source, e.target, e.label) for e in state.edges] == [("A", "R", "10.0 km"), ("R", "B", "15.0 km")]
    assert all(n.deletable and n.connectable for n in state.nodes)
    assert state.nodes[0].style is not state.nodes[1].style  # no shared mutable style dict
    xs = [n.position["x"] for n in state.nodes]
    assert xs == sorted(xs) and len({n.position["y"] for n in state.nodes}) == 1
    unchanged, changes = apply_flow(sample("chain-3"), state, view)
    assert not changes.any


def test_canvas_add_connect_move_delete() -> None:
    draft = sample("chain-3")
    state, view = flow_from_draft(draft)
    # The user adds a node through the canvas dialog (random id, typed text) and connects B to it.
    state.nodes.append(StreamlitFlowNode("st-flow-node_x1", (900.0, 300.0), {"content": "Charlie"}, style={}))
    state.edges.append(StreamlitFlowEdge("reactflow__edge-B-x1", "B", "st-flow-node_x1"))
    new, changes = apply_flow(draft, state, view)
    assert changes.added == ("Charlie",) and changes.linked == (("B", "Charlie"),)
    charlie = new["nodes"][-1]
    assert charlie["role"] == "repeater" and charlie["memory"]["qubits_per_link"] == 1
    x, y = view.transform.from_px(900.0, 300.0)
    assert (charlie["x"], charlie["y"]) == (round(x, 3), round(y, 3))
    assert new["links"][-1]["fidelity"] == 0.95 and validate(new)[1] == []
    # Move R by 120 px; delete A (its link goes with it on the canvas).
    state2, view2 = flow_from_draft(new)
    r = next(n for n in state2.nodes if n.id == "R")
    r.position = {"x": r.position["x"], "y": r.position["y"] + 120.0}
    state2.nodes = [n for n in state2.nodes if n.id != "A"]
    state2.edges = [e for e in state2.edges if "A" not in (e.source, e.target)]
    newer, changes2 = apply_flow(new, state2, view2)
    assert changes2.removed == ("A",) and changes2.moved == ("R",) and changes2.unlinked == ()  # went with A
    assert [(lk["a"], lk["b"]) for lk in newer["links"]] == [("R", "B"), ("B", "Charlie")]
    assert next(n for n in newer["nodes"] if n["name"] == "R")["y"] < 0.0  # screen down = y down
    assert [n["name"] for n in newer["nodes"]] == ["R", "B", "Charlie"]
    # The request A-B now names a deleted node: kept, and validation says so by field.
    assert any(e.path == "requests[0].src" for e in validate(newer)[1])


def test_a_late_state_under_the_canvas_id_does_not_duplicate_the_node() -> None:
    draft = sample("chain-3")
    state, view = flow_from_draft(draft)
    state.nodes.append(StreamlitFlowNode("st-flow-node_z9", (700.0, 400.0), {"content": "Z"}, style={}))
    aliases: dict[str, str] = {}
    new, changes = apply_flow(draft, state, view, aliases)
    assert changes.added == ("Z",) and aliases == {"st-flow-node_z9": "Z"}
    # The component sends the same state once more before it has taken the redrawn one (id -> name).
    again, changes2 = apply_flow(new, state, view, aliases)
    assert not changes2.any and again is new


def test_changes_apply_relative_to_the_push_the_canvas_showed() -> None:
    draft = sample("chain-3")
    state1, view1 = flow_from_draft(draft, push=1)
    assert push_of(state1) == 1
    # Python adds E1 (push 2) while the canvas still shows push 1 ...
    newer = add_node(draft, new_node(draft, "E1", "end", x=5.0, y=0.0))
    _, view2 = flow_from_draft(newer, previous=view1, push=2)
    # ... whose echo must not delete E1,
    same, changes = apply_flow(newer, state1, view1)
    assert not changes.any and same is newer
    # and a user action on push 1 (deleting B) applies on top of push 2.
    state1.nodes = [n for n in state1.nodes if n.id != "B"]
    state1.edges = [e for e in state1.edges if "B" not in (e.source, e.target)]
    after, changes = apply_flow(newer, state1, view1)
    assert changes.removed == ("B",) and changes.unlinked == ()
    assert [n["name"] for n in after["nodes"]] == ["A", "R", "E1"]
    assert [(lk["a"], lk["b"]) for lk in after["links"]] == [("A", "R")]
    # Deleting a node added in a later push is only possible on a canvas showing that push.
    state2, _ = flow_from_draft(after, previous=view2, push=3)
    assert push_of(state2) == 3 and {n.id for n in state2.nodes} == {"A", "R", "E1"}


def test_geo_nodes_move_in_degrees() -> None:
    draft = sample("metro-randstad")
    state, view = flow_from_draft(draft)
    assert view.layout.geo
    delft = next(n for n in state.nodes if n.id == "Delft")
    delft.position = {"x": delft.position["x"] + 50.0, "y": delft.position["y"]}
    new, changes = apply_flow(draft, state, view)
    assert changes.moved == ("Delft",)
    node = next(n for n in new["nodes"] if n["name"] == "Delft")
    assert node["lat"] == pytest.approx(52.0116, abs=1e-4) and node["lon"] > 4.3571
    assert node["x"] is None


def test_layout_without_coordinates_is_seeded() -> None:
    nodes = [{"name": n} for n in "ABCD"]
    links = [{"a": "A", "b": "B"}, {"a": "B", "b": "C"}, {"a": "C", "b": "D"}]
    assert compute_layout(nodes, links).pos == compute_layout(nodes, links).pos
    assert not compute_layout(nodes, links).geo


def test_derived_link_physics() -> None:
    phys = link_physics(sample("metro-randstad"))
    assert all(p is not None for p in phys)
    p = phys[0]  # Delft-TheHague, single click, great-circle length
    assert 5.0 < p.length_km < 10.0
    assert p.transmissivity == pytest.approx(transmissivity(p.length_km, 0.2))
    assert 0 < p.success_probability < 0.1 and 0.5 < p.fidelity < 1.0
    assert p.pair_rate_hz == pytest.approx(p.success_probability / p.attempt_time_s)
    chain = sample("chain-3")
    chain["links"][0]["success_probability"] = 2.0
    assert link_physics(chain)[0] is None and link_physics(chain)[1] is not None


def test_fidelity_colour_scale_is_shared_and_clamped() -> None:
    lo, hi = FIDELITY_RANGE
    assert fidelity_color(lo) == fidelity_color(0.3) != fidelity_color(hi) == fidelity_color(1.0)
    assert fidelity_color(None) == fidelity_color(float("nan"))


def test_fidelity_colour_is_plotlys_sample_of_the_scale() -> None:
    """The direct interpolation gives exactly the string plotly's ``sample_colorscale`` would."""
    from plotly.colors import sample_colorscale

    from pages.ui.figures import FIDELITY_COLORSCALE

    lo, hi = FIDELITY_RANGE
    for f in [lo + (hi - lo) * i / 997 for i in range(998)] + [0.3, 0.625, 0.75, 0.875, 1.2]:
        t = min(1.0, max(0.0, (f - lo) / (hi - lo)))
        assert fidelity_color(f) == sample_colorscale(FIDELITY_COLORSCALE, [t])[0], f


def test_network_figure_bins_links_and_marks_circuits() -> None:
    nodes, links, lat0 = draft_map(sample("random-100"))
    assert len(nodes) == 100 and len(links) == 330 and lat0 is None
    fig = network_figure(nodes, links, [MapCircuit("r0", (nodes[0].name, nodes[1].name), 0.9)])
    assert len(fig.data) < 40  # binned: not one trace per link
    names = [t.name for t in fig.data]
    assert "VC r0 · F=0.900" in names and "end node" in names and "repeater node" in names
    geo_nodes, geo_links, geo_lat0 = draft_map(sample("metro-randstad"))
    geo = network_figure(geo_nodes, geo_links, geo_lat0=geo_lat0)
    assert geo.layout.xaxis.title.text == "longitude (°E)" and geo.layout.yaxis.title.text == "latitude (°N)"
    assert math.isclose(geo.layout.yaxis.scaleratio, 1 / math.cos(math.radians(geo_lat0)))


def test_run_map_from_samples() -> None:
    draft = sample("chain-3")
    latest = {("link:A-R", "fidelity"): 0.95, ("link:A-R", "pairs_generated"): 4.0,
              ("link:R-B", "fidelity"): 0.9, ("link:R-B", "pairs_generated"): 0.0,
              ("node:R", "qubits_in_use"): 1.0, ("node:R", "qubits_total"): 2.0,
              ("request:ab", "fidelity"): 0.86, ("request:ab", "pairs_delivered"): 3.0}
    nodes, links, circuits, _ = run_map(draft, latest, {"ab": ["A", "R", "B"]})
    assert [lk.fidelity for lk in links] == [0.95, None]  # no pair yet on R-B: no colour
    assert next(n for n in nodes if n.name == "R").occupancy == 0.5
    assert circuits == [MapCircuit("ab", ("A", "R", "B"), 0.86, circuits[0].hover)]
    fig = network_figure(nodes, links, circuits, show_occupancy=True)
    assert fig.layout.coloraxis2.colorbar.title.text == "memory in use"


def test_timeseries_and_html_export() -> None:
    fig = timeseries_figure([Series("ab", [0.1, 0.2], [1.0, 2.0])], y_title="pairs / s", title="Throughput")
    assert fig.layout.xaxis.title.text == "simulated time (s)" and fig.layout.yaxis.title.text == "pairs / s"
    empty = timeseries_figure([], y_title="x", title="t")
    assert empty.layout.annotations[0].text == "no samples yet"
    html = figures_html({"map": network_figure([MapNode("A", "end", 0, 0)], [MapLink("A", "A", 0.9)]),
                         "ts": fig}, "run 1")
    # plotly.js is embedded, not fetched from a CDN: the file opens offline.
    assert html.count("<h3>") == 2 and "plotly" in html.lower() and 'src="https://cdn.plot.ly' not in html


def test_run_context_and_figures() -> None:
    text = Path("sample_topologies/chain-3.yaml").read_text()
    ctx = run_context(text, None)
    assert ctx.paths == {"ab": ["A", "R", "B"]} and ctx.max_time_s == 10.0 and ctx.qkd_requests == {"ab"}
    bad = run_context("name: x\nnodes: []\n", None)
    assert bad.draft is None and "nodes" in bad.problem
    summary = {"requests": [{"name": "ab", "status": "complete", "pairs_delivered": 10, "fidelity_mean": 0.9,
                             "throughput_hz": 5.0, "latency_mean_s": 0.002, "pairs_expired": 1, "reason": ""},
                            {"name": "cd", "status": "complete", "pairs_delivered": 30, "fidelity_mean": 0.8,
                             "throughput_hz": 1.0, "latency_mean_s": None, "pairs_expired": 0, "reason": ""}]}
    rows = key_figures(summary, {}, qkd={"ab"})
    assert rows[0]["latency (ms)"] == pytest.approx(2.0) and rows[1]["latency (ms)"] is None
    # Werner F = 0.9: Q = 1/15, key fraction 1 - 2 h(Q); 5 pairs/s, half sifted away.
    assert rows[0]["key rate (bit/s)"] == pytest.approx(5 * 0.5 * (1 - 2 * binary_entropy(2 * 0.1 / 3)))
    assert rows[1]["key rate (bit/s)"] is None  # not a measure-directly request
    h = headline(summary)
    assert h["pairs"] == 40 and h["mean fidelity"] == pytest.approx((9 + 24) / 40) and h["throughput (pairs/s)"] == 6
    live = key_figures(None, {("request:ab", "pairs_delivered"): 0.0, ("request:ab", "fidelity"): 0.5})
    assert live[0]["fidelity"] is None and live[0]["status"] == "running"

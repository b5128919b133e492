"""streamlit-flow canvas state <-> designer draft.

UI layer, pure (builds ``StreamlitFlowState`` objects, calls no ``st.*``). The draft is the single
source of truth: ``flow_from_draft`` draws it, ``apply_flow`` folds what the user did on the
canvas (added, moved, connected, deleted) back into a new draft.

Canvas node ids are the node names; nodes created on the canvas arrive with random ids and
``data={"content": <typed text>}``, which ``apply_flow`` turns into a unique node name. Edge ids
are ``a--b``; the direction React Flow records (source -> target handle) carries no meaning here.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

from streamlit_flow.elements import StreamlitFlowEdge, StreamlitFlowNode
from streamlit_flow.state import StreamlitFlowState

from pages.ui.derived import link_physics
from pages.ui.draft import Draft, new_link, new_node, unique_name
from pages.ui.figures import fidelity_color
from pages.ui.layout import CanvasTransform, Layout, canvas_transform, compute_layout

MOVE_TOLERANCE_PX = 0.5
ROLE_NODE_STYLE = {
    "end": {"background": "#e3f2fd", "border": "2px solid #1565c0", "borderRadius": "18px"},
    "repeater": {"background": "#eceff1", "border": "2px solid #546e7a", "borderRadius": "4px"},
}
NODE_BOX = {"fontSize": "14px", "padding": "6px 12px", "minWidth": "70px"}
ROLE_ICON = {"end": "🔵", "repeater": "🔷"}


@dataclass(frozen=True)
class CanvasView:
    """What was drawn: the layout and pixel transform, so moved nodes map back to coordinates."""

    layout: Layout
    transform: CanvasTransform
    sent_px: dict[str, tuple[float, float]]


def edge_id(a: str, b: str) -> str:
    return f"{a}--{b}"


def _node_label(node: dict) -> str:
    role = str(node.get("role") or "repeater")
    return f"{ROLE_ICON.get(role, '')} **{node.get('name')}**"


def flow_from_draft(draft: Draft, selected_id: str | None = None) -> tuple[StreamlitFlowState, CanvasView]:
    layout = compute_layout(draft.get("nodes") or [], draft.get("links") or [])
    transform = canvas_transform(layout)
    nodes, sent = [], {}
    for n in draft.get("nodes") or []:
        name = str(n.get("name"))
        px = transform.to_px(*layout.pos[name])
        sent[name] = px
        role = str(n.get("role") or "repeater")
        # A fresh style dict per node: the library's default dict is shared and mutated (app-notes §1.2).
        style = dict(ROLE_NODE_STYLE.get(role, ROLE_NODE_STYLE["repeater"])) | NODE_BOX
        nodes.append(StreamlitFlowNode(
            id=name, pos=px, data={"content": _node_label(n), "role": role}, node_type="default",
            source_position="right", target_position="left", draggable=True, selectable=True,
            connectable=True, deletable=True, style=style))
    edges = []
    physics = link_physics(draft)
    for lk, phys in zip(draft.get("links") or [], physics, strict=True):
        a, b = str(lk.get("a")), str(lk.get("b"))
        label = f"{phys.length_km:.1f} km" if phys is not None else "⚠ invalid"
        color = fidelity_color(phys.fidelity if phys is not None else None)
        edges.append(StreamlitFlowEdge(
            id=edge_id(a, b), source=a, target=b, edge_type="straight", deletable=True, focusable=True,
            label=label, label_show_bg=True, label_style={"fontSize": "11px"},
            style={"stroke": color, "strokeWidth": 3}))
    state = StreamlitFlowState(nodes, edges, selected_id=selected_id, timestamp=int(time.time() * 1000))
    return state, CanvasView(layout, transform, sent)


@dataclass(frozen=True)
class FlowChanges:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    linked: tuple[tuple[str, str], ...] = ()
    unlinked: tuple[tuple[str, str], ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.linked or self.unlinked)

    def summary(self) -> str:
        parts = []
        for label, items in (("added", self.added), ("deleted", self.removed), ("moved", self.moved)):
            if items:
                parts.append(f"{label} {', '.join(items)}")
        if self.linked:
            parts.append("connected " + ", ".join(f"{a}–{b}" for a, b in self.linked))
        if self.unlinked:
            parts.append("disconnected " + ", ".join(f"{a}–{b}" for a, b in self.unlinked))
        return "; ".join(parts)


def apply_flow(draft: Draft, state: StreamlitFlowState, view: CanvasView) -> tuple[Draft, FlowChanges]:
    """Fold the canvas state into the draft. Returns the new draft and what changed."""
    out = copy.deepcopy(draft)
    by_name = {str(n.get("name")): n for n in out["nodes"]}
    id_to_name: dict[str, str] = {}
    added, moved = [], []
    for fn in state.nodes:
        px = (float(fn.position.get("x", 0.0)), float(fn.position.get("y", 0.0)))
        if fn.id in by_name:
            id_to_name[fn.id] = fn.id
            before = view.sent_px.get(fn.id)
            if before is None or max(abs(before[0] - px[0]), abs(before[1] - px[1])) > MOVE_TOLERANCE_PX:
                _place(by_name[fn.id], view, px)
                moved.append(fn.id)
            continue
        text = str((fn.data or {}).get("content", ""))
        name = unique_name(out, text)
        node = new_node(out, name)
        _place(node, view, px)
        out["nodes"].append(node)
        by_name[name] = node
        id_to_name[fn.id] = name
        added.append(name)
    kept = set(id_to_name.values())
    removed = [name for name in by_name if name not in kept]
    out["nodes"] = [n for n in out["nodes"] if str(n.get("name")) in kept]
    wanted: dict[frozenset, tuple[str, str]] = {}
    for fe in state.edges:
        a, b = id_to_name.get(fe.source), id_to_name.get(fe.target)
        if a is None or b is None:
            continue
        wanted.setdefault(frozenset((a, b)), (a, b))
    links, unlinked, have = [], [], set()
    for lk in out["links"]:
        key = frozenset((str(lk.get("a")), str(lk.get("b"))))
        if key in wanted or (key in have and len(key) == 2):
            links.append(lk)  # kept (a duplicate stays too: validation names it)
            have.add(key)
        else:
            unlinked.append((str(lk.get("a")), str(lk.get("b"))))
    linked = []
    for key, (a, b) in wanted.items():
        if key not in have:
            links.append(new_link(out, a, b))
            linked.append((a, b))
    out["links"] = links
    changes = FlowChanges(tuple(added), tuple(removed), tuple(moved), tuple(linked), tuple(unlinked))
    return (out if changes.any else draft), changes


def _place(node: dict, view: CanvasView, px: tuple[float, float]) -> None:
    x, y = view.transform.from_px(*px)
    if view.layout.geo:
        lat, lon = view.layout.to_geo(x, y)
        node["lat"], node["lon"] = round(max(-90.0, min(90.0, lat)), 5), round(max(-180.0, min(180.0, lon)), 5)
    elif node.get("lat") is not None and node.get("lon") is not None:
        return  # a geo node in a mixed layout: its position is fixed by its coordinates
    else:
        node["x"], node["y"] = round(x, 3), round(y, 3)

"""streamlit-flow canvas state <-> designer draft.

UI layer, pure (builds ``StreamlitFlowState`` objects, calls no ``st.*``). The draft is the single
source of truth: ``flow_from_draft`` draws it, ``apply_flow`` folds what the user did on the
canvas (added, moved, connected, deleted) back into a new draft.

Canvas node ids are the node names; nodes created on the canvas arrive with random ids and
``data={"content": <typed text>}``, which ``apply_flow`` turns into a unique node name. Edge ids
are ``a--b``; the direction React Flow records (source -> target handle) carries no meaning here.

Every state Python pushes is numbered, and each node carries the number in ``data["push"]``. The
canvas sends back what it shows, so a returned state says which push it was based on, and
``apply_flow`` applies only the difference from *that* push. This makes the component's echo of a
push a no-op even when it arrives after a newer Python-side edit, and a user's action on a canvas
that had not yet received the newest push does not revert that push.
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
EDGE_LABEL_LIMIT = 60
ROLE_NODE_STYLE = {
    "end": {"background": "#e3f2fd", "border": "2px solid #1565c0", "borderRadius": "18px"},
    "repeater": {"background": "#eceff1", "border": "2px solid #546e7a", "borderRadius": "4px"},
}
NODE_BOX = {"fontSize": "14px", "padding": "6px 12px", "minWidth": "70px"}
ROLE_ICON = {"end": "🔵", "repeater": "🔷"}


@dataclass(frozen=True)
class CanvasView:
    """One pushed state: its number, the layout and pixel transform, node positions and links as drawn."""

    layout: Layout
    transform: CanvasTransform
    sent_px: dict[str, tuple[float, float]]
    push: int = 0
    links: frozenset = frozenset()  # frozenset({a, b}) per link drawn


def push_of(state: StreamlitFlowState) -> int | None:
    """The number of the push the returned state was based on (None: no node drawn by Python on it)."""
    pushes = [n.data.get("push") for n in state.nodes if isinstance(n.data, dict)]
    numbers = [p for p in pushes if isinstance(p, int)]
    return max(numbers) if numbers else None


def edge_id(a: str, b: str) -> str:
    return f"{a}--{b}"


def _node_label(node: dict) -> str:
    role = str(node.get("role") or "repeater")
    return f"{ROLE_ICON.get(role, '')} **{node.get('name')}**"


def flow_from_draft(draft: Draft, selected_id: str | None = None, previous: CanvasView | None = None,
                    push: int = 0) -> tuple[StreamlitFlowState, CanvasView]:
    """Canvas state of the draft, numbered ``push``. ``previous``: keep its pixel scale (nodes do not jump)."""
    layout = compute_layout(draft.get("nodes") or [], draft.get("links") or [])
    keep = previous is not None and previous.layout.geo == layout.geo and previous.layout.lat0 == layout.lat0
    transform = previous.transform if keep else canvas_transform(layout)  # type: ignore[union-attr]
    nodes, sent = [], {}
    for n in draft.get("nodes") or []:
        name = str(n.get("name"))
        px = transform.to_px(*layout.pos[name])
        sent[name] = px
        role = str(n.get("role") or "repeater")
        # A fresh style dict per node: the library's default dict is shared and mutated (app-notes §1.2).
        style = dict(ROLE_NODE_STYLE.get(role, ROLE_NODE_STYLE["repeater"])) | NODE_BOX
        nodes.append(StreamlitFlowNode(
            id=name, pos=px, data={"content": _node_label(n), "role": role, "push": push}, node_type="default",
            source_position="right", target_position="left", draggable=True, selectable=True,
            connectable=True, deletable=True, style=style))
    edges = []
    physics = link_physics(draft)
    # Edge labels are the canvas's costliest elements: above EDGE_LABEL_LIMIT links only invalid ones get one.
    labelled = len(draft.get("links") or []) <= EDGE_LABEL_LIMIT
    for lk, phys in zip(draft.get("links") or [], physics, strict=True):
        a, b = str(lk.get("a")), str(lk.get("b"))
        label = "⚠ invalid" if phys is None else f"{phys.length_km:.1f} km" if labelled else ""
        color = fidelity_color(phys.fidelity if phys is not None else None)
        edges.append(StreamlitFlowEdge(
            id=edge_id(a, b), source=a, target=b, edge_type="straight", deletable=True, focusable=True,
            label=label, label_show_bg=bool(label), label_style={"fontSize": "11px"},
            style={"stroke": color, "strokeWidth": 3}))
    state = StreamlitFlowState(nodes, edges, selected_id=selected_id, timestamp=int(time.time() * 1000))
    links = frozenset(frozenset((str(lk.get("a")), str(lk.get("b")))) for lk in draft.get("links") or [])
    return state, CanvasView(layout, transform, sent, push, links)


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


def apply_flow(draft: Draft, state: StreamlitFlowState, base: CanvasView,
               aliases: dict[str, str] | None = None) -> tuple[Draft, FlowChanges]:
    """Apply to ``draft`` what the user changed on the canvas relative to ``base`` (the push it showed).

    ``aliases`` maps the random ids of nodes created on the canvas to the names they were given; it is
    updated in place, so a state that still uses such an id does not add the node a second time.
    """
    aliases = {} if aliases is None else aliases
    out = copy.deepcopy(draft)
    by_name = {str(n.get("name")): n for n in out["nodes"]}
    id_to_name: dict[str, str] = {}
    added, moved = [], []
    for fn in state.nodes:
        px = (float(fn.position.get("x", 0.0)), float(fn.position.get("y", 0.0)))
        name = fn.id if fn.id in base.sent_px else aliases.get(fn.id)
        if name is not None:
            id_to_name[fn.id] = name
            before = base.sent_px.get(name)
            moved_here = before is not None and max(abs(before[0] - px[0]), abs(before[1] - px[1])) > MOVE_TOLERANCE_PX
            if moved_here and name in by_name:
                _place(by_name[name], base, px)
                moved.append(name)
            continue
        text = str((fn.data or {}).get("content", ""))
        name = unique_name(out, text)
        node = new_node(out, name)
        _place(node, base, px)
        out["nodes"].append(node)
        by_name[name] = node
        id_to_name[fn.id] = name
        aliases[fn.id] = name
        added.append(name)
    # Deleted on the canvas: drawn in the base push, absent now (nodes added since stay).
    shown = set(id_to_name.values())
    removed = [name for name in base.sent_px if name not in shown and name in by_name]
    if removed:
        out["nodes"] = [n for n in out["nodes"] if str(n.get("name")) not in removed]
        out["links"] = [lk for lk in out["links"] if lk.get("a") not in removed and lk.get("b") not in removed]
    now: dict[frozenset, tuple[str, str]] = {}
    for fe in state.edges:
        a, b = id_to_name.get(fe.source), id_to_name.get(fe.target)
        if a is not None and b is not None:
            now.setdefault(frozenset((a, b)), (a, b))
    unlinked = []
    gone = {key for key in base.links if key not in now and not (key & set(removed))}
    if gone:
        keep = []
        for lk in out["links"]:
            key = frozenset((str(lk.get("a")), str(lk.get("b"))))
            if key in gone:
                unlinked.append((str(lk.get("a")), str(lk.get("b"))))
            else:
                keep.append(lk)
        out["links"] = keep
    have = {frozenset((str(lk.get("a")), str(lk.get("b")))) for lk in out["links"]}
    linked = []
    for key, (a, b) in now.items():
        if key not in base.links and key not in have and a in by_name and b in by_name:
            out["links"].append(new_link(out, a, b))
            linked.append((a, b))
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

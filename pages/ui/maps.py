"""Map data for the figures: from a designer draft (expected physics) or from stored run samples.

UI layer, pure. A run's live numbers arrive as metric samples keyed by entity
(``link:A-R``, ``node:R``, ``request:ab``) and metric name, the rows ``Snapshot.rows()`` produces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pages.ui.derived import link_physics
from pages.ui.draft import Draft
from pages.ui.figures import MapCircuit, MapLink, MapNode
from pages.ui.layout import compute_layout
from qnp_engine.apps import predicted_key_rate_hz

Latest = Mapping[tuple[str, str], float]  # (entity, metric) -> latest value


def _draw_pos(draft: Draft) -> tuple[dict[str, tuple[float, float]], float | None]:
    layout = compute_layout(draft.get("nodes") or [], draft.get("links") or [])
    if layout.geo:
        # Figures show geo maps in degrees (lon, lat) with a true aspect ratio.
        return {k: layout.to_geo(*v)[::-1] for k, v in layout.pos.items()}, layout.lat0
    return dict(layout.pos), None


def draft_map(draft: Draft) -> tuple[list[MapNode], list[MapLink], float | None]:
    """Nodes and links of a draft, links coloured by the fidelity of the pairs they herald."""
    pos, lat0 = _draw_pos(draft)
    nodes = [MapNode(str(n.get("name")), str(n.get("role") or "repeater"), *pos[str(n.get("name"))],
                     hover=_node_hover(n)) for n in draft.get("nodes") or [] if str(n.get("name")) in pos]
    links = []
    for lk, phys in zip(draft.get("links") or [], link_physics(draft), strict=True):
        if phys is None:
            links.append(MapLink(str(lk.get("a")), str(lk.get("b")), None, f"{lk.get('a')}–{lk.get('b')}: invalid"))
            continue
        hover = (f"{phys.a}–{phys.b} · {phys.model}<br>length {phys.length_km:.1f} km · η={phys.transmissivity:.3g}"
                 f"<br>p={phys.success_probability:.3g} per attempt · {phys.pair_rate_hz:,.0f} pairs/s"
                 f"<br>pair fidelity {phys.fidelity:.4f}")
        links.append(MapLink(phys.a, phys.b, phys.fidelity, hover))
    return nodes, links, lat0


def _node_hover(n: dict) -> str:
    mem = n.get("memory") or {}
    return (f"<b>{n.get('name')}</b> ({n.get('role')})<br>{mem.get('qubits_per_link', '?')} qubit(s) per link"
            f"<br>T1={mem.get('t1_s', '∞')} s · T2={mem.get('t2_s', '∞')} s")


def format_bits(rate: float) -> str:
    """A key rate with a readable unit: '0 bit/s', '237 bit/s', '1.2 kbit/s'."""
    for unit, scale in (("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.3g} {unit}"
    return f"{rate:.3g} bit/s" if rate else "0 bit/s"


def entity_link(a: str, b: str) -> str:
    return f"link:{a}-{b}"


def run_map(draft: Draft, latest: Latest, paths: Mapping[str, Sequence[str]],
            key_rates: Mapping[str, float | None] | None = None
            ) -> tuple[list[MapNode], list[MapLink], list[MapCircuit], float | None]:
    """The live fidelity map: link fidelity and memory occupancy from samples, circuits by delivered fidelity.

    ``paths`` maps request name -> node path (from the control plane's plan or the final result).
    """
    pos, lat0 = _draw_pos(draft)
    nodes = []
    for n in draft.get("nodes") or []:
        name = str(n.get("name"))
        used, total = latest.get((f"node:{name}", "qubits_in_use")), latest.get((f"node:{name}", "qubits_total"))
        occ = (used / total) if used is not None and total else None
        hover = f"<b>{name}</b> ({n.get('role')})" + (f"<br>qubits in use: {used:.0f} / {total:.0f}" if occ is not None
                                                       else "")
        nodes.append(MapNode(name, str(n.get("role")), *pos[name], occupancy=occ, hover=hover))
    links = []
    for lk in draft.get("links") or []:
        a, b = str(lk.get("a")), str(lk.get("b"))
        f, gen = None, None
        for ent in (entity_link(a, b), entity_link(b, a)):
            if (ent, "fidelity") in latest:
                f = latest[(ent, "fidelity")]
                gen = latest.get((ent, "pairs_generated"))
        if f is not None and not gen:
            f = None  # no pair yet: the mean is a placeholder, not a measurement
        hover = f"{a}–{b}: link fidelity {f:.4f}" if f is not None else f"{a}–{b}: no pairs yet"
        if gen is not None:
            hover += f"<br>pairs generated: {gen:.0f}"
        links.append(MapLink(a, b, f, hover))
    circuits = []
    for name, path in paths.items():
        f = latest.get((f"request:{name}", "fidelity"))
        delivered = latest.get((f"request:{name}", "pairs_delivered"))
        if f is not None and not delivered:
            f = None
        hover = f"VC {name}: {' → '.join(path)}" + (f"<br>delivered fidelity {f:.4f}" if f is not None else "")
        if delivered is not None:
            hover += f"<br>pairs delivered: {delivered:.0f}"
        rate = latest.get((f"request:{name}", "throughput_hz"))
        if f is not None and rate:
            hover += f"<br>QKD key rate ≈ {format_bits(predicted_key_rate_hz(f, rate))} (BBM92, asymptotic)"
        circuits.append(MapCircuit(name, tuple(path), f, hover))
    return nodes, links, circuits, lat0

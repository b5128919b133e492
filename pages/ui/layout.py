"""Where to draw each node: x/y as given, lat/lon projected, a seeded spring layout otherwise.

UI layer, pure. Shared by the plotly figures and the designer canvas so both show the same picture.
A geographic topology (every node has lat/lon) is drawn in an equirectangular projection scaled by
cos(mean latitude): no map tiles, nothing fetched from the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class Layout:
    pos: dict[str, tuple[float, float]]  # drawing coordinates (x right, y up)
    geo: bool                            # True: x = lon * cos(lat0), y = lat
    lat0: float = 0.0

    def to_geo(self, x: float, y: float) -> tuple[float, float]:
        """Inverse projection: drawing coordinates -> (lat, lon) in degrees."""
        return y, x / math.cos(math.radians(self.lat0))


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def compute_layout(nodes: list[dict], links: list[dict]) -> Layout:
    """``nodes``/``links`` are file-format dicts (possibly invalid: bad values are laid out anyway)."""
    names = [str(n.get("name")) for n in nodes]
    geo = bool(nodes) and all(_num(n.get("lat")) is not None and _num(n.get("lon")) is not None for n in nodes)
    if geo:
        lat0 = sum(_num(n["lat"]) for n in nodes) / len(nodes)  # type: ignore[misc]
        c = math.cos(math.radians(lat0))
        pos = {str(n["name"]): (_num(n["lon"]) * c, _num(n["lat"])) for n in nodes}  # type: ignore[operator]
        return Layout(pos, True, lat0)
    pos: dict[str, tuple[float, float]] = {}
    missing = []
    for n, name in zip(nodes, names, strict=True):
        x, y = _num(n.get("x")), _num(n.get("y"))
        if x is None or y is None:
            missing.append(name)
        else:
            pos[name] = (x, y)
    if missing:
        g = nx.Graph()
        g.add_nodes_from(names)
        g.add_edges_from((lk.get("a"), lk.get("b")) for lk in links if lk.get("a") in g and lk.get("b") in g)
        fixed = list(pos) or None
        spread = _spread(pos)
        init = {k: (v[0] / spread, v[1] / spread) for k, v in pos.items()}
        sp = nx.spring_layout(g, pos=init or None, fixed=fixed, seed=7)
        for name in missing:
            pos[name] = (float(sp[name][0]) * spread, float(sp[name][1]) * spread)
    return Layout(pos, False)


def _spread(pos: dict[str, tuple[float, float]]) -> float:
    if len(pos) < 2:
        return 1.0
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    return max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0


@dataclass(frozen=True)
class CanvasTransform:
    """Drawing coordinates <-> canvas pixels (y flipped: screens grow downwards)."""

    scale: float
    min_x: float
    max_y: float
    margin: float = 40.0

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.min_x) * self.scale + self.margin, (self.max_y - y) * self.scale + self.margin

    def from_px(self, px: float, py: float) -> tuple[float, float]:
        return (px - self.margin) / self.scale + self.min_x, self.max_y - (py - self.margin) / self.scale


def canvas_transform(layout: Layout, width_px: float = 760.0) -> CanvasTransform:
    if not layout.pos:
        return CanvasTransform(100.0, 0.0, 0.0)
    xs = [p[0] for p in layout.pos.values()]
    ys = [p[1] for p in layout.pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    # Nodes are ~150 px wide boxes: small networks get room between them, large ones fill the canvas.
    per_node = max(width_px, 170.0 * math.sqrt(len(xs)))
    scale = per_node / span if span > 0 else 100.0
    return CanvasTransform(scale, min(xs), max(ys))

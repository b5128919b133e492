"""Plotly figures: the network / fidelity map and the time-series charts.

UI layer, pure (no ``st.*``), so plain pytest checks them. One fidelity colour scale is used
everywhere (designer, landing page, live map, history): ``FIDELITY_COLORSCALE`` over
``FIDELITY_RANGE``. Links are drawn as one line trace per colour bin rather than one trace per link,
which keeps a 100-node, 330-link map to a few dozen traces and fast to redraw every second.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import plotly.graph_objects as go

# Saturated from end to end (no pale middle that vanishes on white): red = poor, green = good.
FIDELITY_COLORSCALE = [[0.0, "#b71c1c"], [0.25, "#e64a19"], [0.5, "#f9a825"], [0.75, "#7cb342"], [1.0, "#1b5e20"]]
FIDELITY_RANGE = (0.5, 1.0)
OCCUPANCY_COLORSCALE = [[0.0, "#e3f2fd"], [1.0, "#0d47a1"]]
NO_DATA_COLOR = "#9e9e9e"
ROLE_STYLE = {"end": ("circle", 20, "#1565c0"), "repeater": ("diamond", 15, "#546e7a")}
SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
                 "#2ca02c", "#d62728")
BINS = 24
LABEL_LIMIT = 40  # above this many nodes, names go to the hover text only
HOVER_LINK_LIMIT = 120  # above this many links, links get no hover text (see network_figure)


@dataclass(frozen=True)
class MapNode:
    name: str
    role: str
    x: float
    y: float
    occupancy: float | None = None  # fraction of memory qubits in use, 0..1
    hover: str = ""


@dataclass(frozen=True)
class MapLink:
    a: str
    b: str
    fidelity: float | None
    hover: str = ""


@dataclass(frozen=True)
class MapCircuit:
    name: str
    path: tuple[str, ...]
    fidelity: float | None
    hover: str = ""


def _unit_rgb(hex_color: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return r / 255.0, g / 255.0, b / 255.0


_STOPS = [(float(t), _unit_rgb(c)) for t, c in FIDELITY_COLORSCALE]


def _rgb255(x: float) -> int:
    # What plotly does (``convert_to_RGB_255``): round half to even through the decimal text.
    return int(Decimal(str(x * 255.0)).quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))


def fidelity_color(f: float | None) -> str:
    """The colour of fidelity ``f`` on ``FIDELITY_COLORSCALE``: the same string as plotly's
    ``sample_colorscale``, computed directly (plotly re-validates the scale on every call, which made the
    designer canvas of a 330-link network spend ~50 ms colouring its links)."""
    if f is None or (isinstance(f, float) and math.isnan(f)):
        return NO_DATA_COLOR
    lo, hi = FIDELITY_RANGE
    t = min(1.0, max(0.0, (f - lo) / (hi - lo)))
    upper = max(1, bisect_left([s for s, _ in _STOPS], t))
    (t0, c0), (t1, c1) = _STOPS[upper - 1], _STOPS[upper]
    w = (t - t0) / (t1 - t0)
    r, g, b = (_rgb255(a + w * (z - a)) for a, z in zip(c0, c1, strict=True))
    return f"rgb({r}, {g}, {b})"


def _bin(f: float) -> int:
    lo, hi = FIDELITY_RANGE
    t = min(1.0, max(0.0, (f - lo) / (hi - lo)))
    return min(BINS - 1, int(t * BINS))


def _fidelity_axis() -> dict:
    lo, hi = FIDELITY_RANGE
    return {"colorscale": FIDELITY_COLORSCALE, "cmin": lo, "cmax": hi,
            "colorbar": {"title": {"text": "fidelity", "side": "right"}, "thickness": 10, "len": 0.8, "x": 1.0,
                         "xanchor": "left"}}


def _segments(pairs: Iterable[tuple[tuple[float, float], tuple[float, float]]]) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for (x0, y0), (x1, y1) in pairs:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    return xs, ys


def network_figure(nodes: Sequence[MapNode], links: Sequence[MapLink], circuits: Sequence[MapCircuit] = (), *,
                   geo_lat0: float | None = None, title: str | None = None, height: int = 460,
                   show_occupancy: bool = False) -> go.Figure:
    """The network map. ``geo_lat0`` set: node x/y are lon/lat degrees, drawn to true aspect ratio."""
    pos = {n.name: (n.x, n.y) for n in nodes}
    fig = go.Figure()
    # Virtual circuits first: wide translucent bands under the links they use.
    for i, vc in enumerate(circuits):
        pts = [pos[p] for p in vc.path if p in pos]
        if len(pts) < 2:
            continue
        label = f"VC {vc.name}" + (f" · F={vc.fidelity:.3f}" if vc.fidelity is not None else " · no pairs yet")
        fig.add_trace(go.Scatter(
            x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines", name=label, legendgroup="vc",
            legendgrouptitle_text="virtual circuits" if i == 0 else None,
            line={"color": fidelity_color(vc.fidelity), "width": 16}, opacity=0.55, hoverinfo="text",
            hovertext=vc.hover or label))
    # Links, one trace per fidelity bin (plus one for links with no data).
    groups: dict[int | None, list[MapLink]] = {}
    for lk in links:
        if lk.a in pos and lk.b in pos:
            key = None if lk.fidelity is None or math.isnan(lk.fidelity) else _bin(lk.fidelity)
            groups.setdefault(key, []).append(lk)
    for key, group in sorted(groups.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        xs, ys = _segments((pos[lk.a], pos[lk.b]) for lk in group)
        lo, hi = FIDELITY_RANGE
        color = NO_DATA_COLOR if key is None else fidelity_color(lo + (key + 0.5) * (hi - lo) / BINS)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=key is None,
                                 name="link (no data)", line={"color": color, "width": 4,
                                                              "dash": "dot" if key is None else "solid"}))
    # Invisible midpoint markers: the hover text of each link and the fidelity colour bar. Above
    # HOVER_LINK_LIMIT links only a few carry the colour bar: hundreds of extra SVG points make every
    # redraw of a live map slower in the browser.
    mids = [lk for group in groups.values() for lk in group]
    if len(mids) > HOVER_LINK_LIMIT:
        mids = mids[:2]
    if mids:
        fid = [lk.fidelity if lk.fidelity is not None else float("nan") for lk in mids]
        fig.add_trace(go.Scatter(
            x=[(pos[lk.a][0] + pos[lk.b][0]) / 2 for lk in mids], y=[(pos[lk.a][1] + pos[lk.b][1]) / 2 for lk in mids],
            mode="markers", name="link fidelity", showlegend=False, hoverinfo="text",
            hovertext=[lk.hover or f"{lk.a}–{lk.b}: F={_fmt(lk.fidelity)}" for lk in mids],
            marker={"size": 9, "opacity": 0.0 if len(mids) > 1 else 0.01, "color": fid, "coloraxis": "coloraxis"}))
    # Nodes, one trace per role so the legend explains the symbols.
    labels = len(nodes) <= LABEL_LIMIT
    for role, (symbol, size, base_color) in ROLE_STYLE.items():
        group = [n for n in nodes if n.role == role]
        if not group:
            continue
        marker: dict = {"symbol": symbol, "size": size, "line": {"width": 1.5, "color": "#263238"}}
        if show_occupancy:
            marker |= {"color": [n.occupancy if n.occupancy is not None else 0.0 for n in group],
                       "coloraxis": "coloraxis2"}
        else:
            marker["color"] = base_color
        fig.add_trace(go.Scatter(
            x=[n.x for n in group], y=[n.y for n in group], mode="markers+text" if labels else "markers",
            text=[n.name for n in group] if labels else None, textposition="top center",
            name=f"{role} node", hoverinfo="text", marker=marker,
            hovertext=[n.hover or f"{n.name} ({role})" + _occ(n.occupancy) for n in group]))
    layout: dict = {
        "height": height, "margin": {"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
        "coloraxis": _fidelity_axis(), "plot_bgcolor": "white", "hovermode": "closest",
        # Legend under a map without axes (many circuits would wrap over the network); above a geographic
        # map, whose bottom edge holds the longitude axis.
        "legend": ({"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}
                   if geo_lat0 is not None else {"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0.0})
        | {"bgcolor": "rgba(255,255,255,0.6)"},
    }
    if show_occupancy:
        layout["coloraxis2"] = {"colorscale": OCCUPANCY_COLORSCALE, "cmin": 0.0, "cmax": 1.0,
                                "colorbar": {"title": {"text": "memory in use", "side": "right"}, "thickness": 10,
                                             "len": 0.8, "x": 1.14, "xanchor": "left", "tickformat": ".0%"}}
    if title:
        layout["title"] = {"text": title, "x": 0.01, "font": {"size": 15}}
    fig.update_layout(**layout)
    if geo_lat0 is not None:
        fig.update_xaxes(title_text="longitude (°E)", showgrid=True, gridcolor="#eceff1", zeroline=False)
        fig.update_yaxes(title_text="latitude (°N)", showgrid=True, gridcolor="#eceff1", zeroline=False,
                         scaleanchor="x", scaleratio=1 / max(0.05, math.cos(math.radians(geo_lat0))))
    else:
        # Layout coordinates carry no unit worth reading: hide the axes as network maps do.
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return fig


def _fmt(f: float | None) -> str:
    return "—" if f is None or (isinstance(f, float) and math.isnan(f)) else f"{f:.4f}"


def _occ(occ: float | None) -> str:
    return "" if occ is None else f"<br>memory in use: {occ:.0%}"


@dataclass(frozen=True)
class Series:
    name: str
    t: Sequence[float]
    v: Sequence[float]


def timeseries_figure(series: Sequence[Series], *, y_title: str, title: str, height: int = 260,
                      x_title: str = "simulated time (s)", y_range: tuple[float, float] | None = None) -> go.Figure:
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_trace(go.Scatter(x=list(s.t), y=list(s.v), mode="lines+markers" if len(s.t) < 30 else "lines",
                                 name=s.name, line={"color": SERIES_COLORS[i % len(SERIES_COLORS)], "width": 2}))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 36, "b": 10},
                      title={"text": title, "x": 0.01, "font": {"size": 14}}, plot_bgcolor="white",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 1, "xanchor": "right"})
    fig.update_xaxes(title_text=x_title, gridcolor="#eceff1", zeroline=False)
    fig.update_yaxes(title_text=y_title, gridcolor="#eceff1", zeroline=False)
    if y_range:
        fig.update_yaxes(range=list(y_range))
    if not series or not any(len(s.t) for s in series):
        fig.add_annotation(text="no samples yet", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                           font={"color": "#78909c"})
    return fig


def bar_figure(labels: Sequence[str], values: Sequence[float], *, y_title: str, title: str,
               colors: Sequence[str] | None = None, height: int = 260) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color=list(colors) if colors else SERIES_COLORS[0]))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 36, "b": 10}, plot_bgcolor="white",
                      title={"text": title, "x": 0.01, "font": {"size": 14}})
    fig.update_yaxes(title_text=y_title, gridcolor="#eceff1")
    return fig


def figures_html(figures: dict[str, go.Figure], title: str) -> str:
    """One self-contained HTML page with every figure; plotly.js is embedded, so it opens offline."""
    parts = []
    for i, (name, fig) in enumerate(figures.items()):
        parts.append(f"<h3>{name}</h3>" + fig.to_html(full_html=False, include_plotlyjs=i == 0))
    body = "\n".join(parts)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body style='font-family:sans-serif'><h2>{title}</h2>{body}</body></html>")

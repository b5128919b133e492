"""Topology model: nodes with quantum memories and fibre links with hardware parameters.

Pure data plus per-field validation (pydantic, unknown keys rejected). Cross-field rules
(unknown node names, duplicates, paths) live in ``rules.py``.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qnp_engine.model.geo import great_circle_km


class Strict(BaseModel):
    """Base for every model of the file format: typos in keys must not pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=False)


class NodeRole(str, Enum):
    END = "end"
    REPEATER = "repeater"


class LinkModel(str, Enum):
    ABSTRACT = "abstract"
    SINGLE_CLICK = "single_click"
    DOUBLE_CLICK = "double_click"


PositiveTime = Annotated[float, Field(gt=0)]


class MemorySpec(Strict):
    """Quantum memory of a node: qubits reserved per attached link and their noise."""

    qubits_per_link: Annotated[int, Field(ge=1, le=1024)] = 1
    t1_s: PositiveTime = math.inf
    t2_s: PositiveTime = math.inf
    depolarizing_time_s: PositiveTime = math.inf

    @model_validator(mode="after")
    def _t2_not_above_2t1(self) -> MemorySpec:
        # Physical constraint for amplitude damping + dephasing: T2 <= 2*T1.
        if self.t2_s > 2 * self.t1_s:
            raise ValueError("t2_s must not exceed 2 * t1_s")
        return self


class NodeSpec(Strict):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    role: NodeRole = NodeRole.REPEATER
    x: float | None = None
    y: float | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    memory: MemorySpec = MemorySpec()

    @model_validator(mode="after")
    def _lat_lon_together(self) -> NodeSpec:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self

    @property
    def has_geo(self) -> bool:
        return self.lat is not None and self.lon is not None


class LinkParams(Strict):
    """Hardware parameters of a link; every field has a default so ``defaults.link`` can set any."""

    model: LinkModel = LinkModel.ABSTRACT
    length_km: Annotated[float, Field(ge=0, le=40_000)] | None = None
    attenuation_db_per_km: Annotated[float, Field(ge=0, le=100)] = 0.2
    # abstract model
    success_probability: Annotated[float, Field(gt=0, le=1)] = 0.1
    fidelity: Annotated[float, Field(ge=0.25, le=1)] = 1.0
    attempt_time_s: PositiveTime | None = None
    # physical models (midpoint heralding station)
    cycle_time_s: PositiveTime = 1.0e-5
    detection_efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.1
    dark_count_probability: Annotated[float, Field(ge=0, lt=1)] = 0.0
    visibility: Annotated[float, Field(ge=0, le=1)] = 1.0
    # link-layer scheduling
    scheduler: Annotated[str, Field(pattern=r"^(wfq|priority)$")] = "wfq"


class LinkSpec(LinkParams):
    a: Annotated[str, Field(min_length=1)]
    b: Annotated[str, Field(min_length=1)]


class Defaults(Strict):
    """Values applied to every link / node that does not set them itself."""

    link: dict = Field(default_factory=dict)
    node: dict = Field(default_factory=dict)


class Topology(Strict):
    """A network: named nodes and the fibre links between them (defaults already applied)."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    description: str = ""
    defaults: Defaults = Defaults()
    nodes: list[NodeSpec] = Field(min_length=1)
    links: list[LinkSpec] = Field(default_factory=list)

    def node(self, name: str) -> NodeSpec:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def link_length_km(self, link: LinkSpec) -> float:
        """Length as given, else great-circle from lat/lon, else 0 (co-located lab link)."""
        if link.length_km is not None:
            return link.length_km
        a, b = self.node(link.a), self.node(link.b)
        if a.has_geo and b.has_geo:
            return great_circle_km(a.lat, a.lon, b.lat, b.lon)  # type: ignore[arg-type]
        return 0.0

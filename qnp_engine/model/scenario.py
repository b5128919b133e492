"""Scenario = topology + entanglement requests + simulation settings.

A ``Scenario`` is what the engine runs; it is immutable once validated (see ``rules.py``).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from qnp_engine.model.topology import PositiveTime, Strict, Topology


class Qos(str, Enum):
    MEASURE_DIRECTLY = "measure_directly"
    CREATE_AND_KEEP = "create_and_keep"


class MeasureBasis(str, Enum):
    """Basis rule for measure-directly pairs (random choices are per pair, like BBM92)."""

    Z = "Z"
    X = "X"
    Y = "Y"
    XZ = "XZ"
    XYZ = "XYZ"


class RoutingMetric(str, Enum):
    FIDELITY = "fidelity"  # maximise the product of link Werner parameters
    HOPS = "hops"
    LENGTH = "length"


class Request(Strict):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    src: Annotated[str, Field(min_length=1)]
    dst: Annotated[str, Field(min_length=1)]
    qos: Qos = Qos.MEASURE_DIRECTLY
    min_fidelity: Annotated[float, Field(gt=0.25, le=1)] | None = None
    pairs: Annotated[int, Field(ge=1)] | None = None
    rate_hz: Annotated[float, Field(gt=0)] | None = None
    cutoff_s: PositiveTime | None = None
    deadline_s: PositiveTime | None = None
    start_s: Annotated[float, Field(ge=0)] = 0.0
    weight: Annotated[float, Field(gt=0)] = 1.0
    basis: MeasureBasis = MeasureBasis.XZ
    test_round_probability: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _src_dst_differ(self) -> Request:
        if self.src == self.dst:
            raise ValueError("src and dst are the same node")
        return self


class SimulationSettings(Strict):
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    max_time_s: PositiveTime = 10.0
    engine: Annotated[str, Field(pattern=r"^(closed-form|cudaq|qiskit)$")] = "closed-form"
    light_speed_km_s: PositiveTime = 2.0e5
    routing: RoutingMetric = RoutingMetric.FIDELITY
    snapshot_interval_s: PositiveTime | None = None
    swap_time_s: Annotated[float, Field(ge=0)] = 0.0
    # Extra uniform random delay on TRACK/EXPIRE messages (tests of order independence).
    message_jitter_s: Annotated[float, Field(ge=0)] = 0.0
    max_events: Annotated[int, Field(ge=1)] | None = None


class Scenario(Strict):
    """Everything one run needs. The YAML file format flattens ``topology`` into the top level."""

    topology: Topology
    requests: list[Request] = Field(default_factory=list)
    simulation: SimulationSettings = SimulationSettings()

    @property
    def name(self) -> str:
        return self.topology.name

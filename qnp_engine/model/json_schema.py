"""JSON Schema of the YAML file format (``qnp schema``)."""

from __future__ import annotations

from pydantic import Field

from qnp_engine.model.scenario import Request, SimulationSettings
from qnp_engine.model.topology import Defaults, LinkSpec, NodeSpec, Strict


class ScenarioFile(Strict):
    """The top level of a QNP Studio topology/scenario file."""

    name: str = Field(min_length=1, max_length=128, description="Name of the network/scenario")
    description: str = ""
    defaults: Defaults = Field(
        default_factory=Defaults,
        description="defaults.link / defaults.node: any link or node field, applied where a link or node omits it",
    )
    nodes: list[NodeSpec] = Field(min_length=1)
    links: list[LinkSpec] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)


def scenario_json_schema() -> dict:
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "QNP Studio scenario"
    return schema

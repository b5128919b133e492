"""The validated data model: topology, requests, scenario, YAML format and JSON schema."""

from qnp_engine.model.errors import FieldError, ScenarioError
from qnp_engine.model.scenario import MeasureBasis, Qos, Request, RoutingMetric, Scenario, SimulationSettings
from qnp_engine.model.topology import LinkModel, LinkParams, LinkSpec, MemorySpec, NodeRole, NodeSpec, Topology
from qnp_engine.model.yaml_io import dump_scenario, load_scenario, scenario_from_dict, scenario_to_dict

__all__ = [
    "FieldError",
    "LinkModel",
    "LinkParams",
    "LinkSpec",
    "MeasureBasis",
    "MemorySpec",
    "NodeRole",
    "NodeSpec",
    "Qos",
    "Request",
    "RoutingMetric",
    "Scenario",
    "ScenarioError",
    "SimulationSettings",
    "Topology",
    "dump_scenario",
    "load_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]

"""Topologies over HTTP: create, validate (the model's field-named errors), list, get as YAML/JSON, delete.

Hub layer over ``storage.topologies``. A topology is a whole scenario file (topology + requests + simulation
settings), sent either as YAML text or as the same document in JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, model_validator

from hub.context import HubContext, get_ctx
from hub.jsonsafe import json_safe
from hub.security import require_token
from qnp_engine.model import Scenario, ScenarioError, dump_scenario, load_scenario, scenario_from_dict, scenario_to_dict
from storage import topologies as store

router = APIRouter(prefix="/api/v1/topologies", tags=["topologies"], dependencies=[Depends(require_token)])
Ctx = Annotated[HubContext, Depends(get_ctx)]

MAX_YAML_CHARS = 500_000


class ScenarioSource(BaseModel):
    """A scenario as YAML text (``yaml``) or as its JSON document (``scenario``): exactly one of them."""

    yaml: str | None = Field(default=None, max_length=MAX_YAML_CHARS, description="scenario file text")
    scenario: dict[str, Any] | None = Field(default=None, description="the scenario document as JSON")

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioSource:
        if (self.yaml is None) == (self.scenario is None):
            raise ValueError("give exactly one of 'yaml' (scenario text) or 'scenario' (JSON document)")
        return self

    def parse(self) -> Scenario:
        """The validated scenario; raises ``ScenarioError`` naming each bad field."""
        return load_scenario(self.yaml) if self.yaml is not None else scenario_from_dict(self.scenario)


class TopologyIn(ScenarioSource):
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="name to save under (default: the scenario's own name)")
    expected_version: int | None = Field(default=None, ge=0, le=2**31,
                                         description="refuse to overwrite unless the saved version is this one")


class FieldProblem(BaseModel):
    field: str
    message: str


class Validation(BaseModel):
    valid: bool
    errors: list[FieldProblem] = []
    summary: dict[str, Any] | None = None


class TopologyInfo(BaseModel):
    name: str
    version: int
    created_at: str
    updated_at: str
    summary: dict[str, Any] | None = None


class TopologyDoc(TopologyInfo):
    scenario: dict[str, Any]


def summarize(s: Scenario) -> dict[str, Any]:
    t = s.topology
    return {
        "name": t.name, "nodes": len(t.nodes), "links": len(t.links), "requests": len(s.requests),
        "end_nodes": [n.name for n in t.nodes if n.role.value == "end"], "engine": s.simulation.engine,
    }


def check(source: ScenarioSource) -> Validation:
    try:
        scenario = source.parse()
    except ScenarioError as exc:
        return Validation(valid=False, errors=[FieldProblem(field=e.path, message=e.message) for e in exc.errors])
    return Validation(valid=True, summary=summarize(scenario))


def _info(row, with_summary: bool = True) -> dict[str, Any]:
    summary = None
    if with_summary:
        try:
            summary = summarize(load_scenario(row.yaml))
        except ScenarioError:
            summary = None
    return {"name": row.name, "version": row.version, "created_at": row.created_at.isoformat(timespec="seconds"),
            "updated_at": row.updated_at.isoformat(timespec="seconds"), "summary": summary}


@router.post("/validate", response_model=Validation, operation_id="validate_topology")
def validate_topology(body: ScenarioSource) -> Validation:
    """Check a scenario without saving it; errors name the field (``links[1].b``) and the reason."""
    return check(body)


@router.post("", response_model=TopologyInfo, status_code=201, operation_id="create_topology")
def create_topology(body: TopologyIn, ctx: Ctx) -> dict[str, Any]:
    """Validate and save (a new version if the name exists); 422 with field errors if invalid."""
    scenario = body.parse()
    text = body.yaml if body.yaml is not None else dump_scenario(scenario)
    row = store.save_topology(ctx.engine, body.name or scenario.name, text, expected_version=body.expected_version)
    return _info(row)


@router.get("", response_model=list[TopologyInfo], operation_id="list_topologies")
def list_topologies(ctx: Ctx) -> list[dict[str, Any]]:
    return [_info(row, with_summary=False) for row in store.list_topologies(ctx.engine)]


@router.get("/{name}", response_model=TopologyDoc, operation_id="get_topology",
            responses={200: {"content": {"application/yaml": {}}}, 404: {"description": "no such topology"}})
def get_topology(name: str, ctx: Ctx, format: Annotated[Literal["json", "yaml"], Query()] = "json") -> Any:  # noqa: A002
    """The saved scenario as JSON (``format=json``) or as its YAML text (``format=yaml``)."""
    row = store.get_topology(ctx.engine, name)
    if format == "yaml":
        return Response(row.yaml, media_type="application/yaml")
    scenario = store.load_topology(ctx.engine, name)
    return {**_info(row), "scenario": json_safe(scenario_to_dict(scenario))}


@router.delete("/{name}", status_code=204, operation_id="delete_topology",
               responses={404: {"description": "no such topology"}})
def delete_topology(name: str, ctx: Ctx) -> Response:
    store.delete_topology(ctx.engine, name)
    return Response(status_code=204)

"""Runs over HTTP: launch entanglement or QNN runs through storage's run manager, status, results, cancel,
a resumable Server-Sent-Events stream of live snapshots, and QKD key distillation from a finished run.

Hub layer. JSON shapes are the CLI's (``qnp runs show --json``): ``storage.export.run_metadata``.
SSE: one ``snapshot`` event per committed step (``id`` = step), then one ``end`` event with the final run
(``id`` = last step + 1). A client that reconnects with ``Last-Event-ID: N`` gets the steps after N.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field, model_validator
from sse_starlette.sse import EventSourceResponse

from hub.api_topologies import ScenarioSource
from hub.context import HubContext, get_ctx
from hub.jsonsafe import json_safe
from hub.qkd_feed import distil_run, sessions
from hub.security import require_token
from storage import runs as store
from storage import samples
from storage import topologies as topo_store
from storage.export import run_metadata
from storage.models import ACTIVE_STATUSES, RunStatus

router = APIRouter(prefix="/api/v1", tags=["runs"], dependencies=[Depends(require_token)])
Ctx = Annotated[HubContext, Depends(get_ctx)]
MAX_ID = 2**63 - 1  # SQLite INTEGER
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="run id")]
POLL_S = 0.25
READ_ROWS = 20_000


class RunIn(BaseModel):
    kind: Literal["entanglement", "qnn"] = "entanglement"
    topology: str | None = Field(default=None, max_length=200, description="name of a saved topology")
    yaml: str | None = Field(default=None, max_length=500_000, description="scenario text (instead of topology)")
    scenario: dict[str, Any] | None = Field(default=None, description="scenario JSON (instead of topology)")
    config: dict[str, Any] | None = Field(default=None, description="QNN training settings (kind=qnn)")
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    engine: Literal["closed-form", "cudaq", "qiskit"] | None = None
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _sources(self) -> RunIn:
        given = sum(x is not None for x in (self.topology, self.yaml, self.scenario))
        if self.kind == "qnn":
            if self.config is None:
                raise ValueError("config: a qnn run needs its training settings")
        elif given != 1:
            raise ValueError("give exactly one of 'topology' (saved name), 'yaml' or 'scenario'")
        return self


class RunInfo(BaseModel):
    id: int
    kind: str
    status: str
    name: str
    label: str
    engine: str | None
    seed: int | None
    progress: float
    last_step: int
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: str | None


class RunResults(BaseModel):
    run: RunInfo
    summary: dict[str, Any] | None


def launch(ctx: HubContext, body: RunIn) -> dict[str, Any]:
    """Validate and queue a run; shared by the HTTP route and the MCP tool."""
    if body.kind == "qnn":
        run = ctx.manager.submit_qnn(body.config or {}, label=body.label)
        return run_metadata(run)
    if body.topology is not None:
        scenario = topo_store.load_topology(ctx.engine, body.topology)
    else:
        scenario = ScenarioSource(yaml=body.yaml, scenario=body.scenario).parse()
    run = ctx.manager.submit_entanglement(scenario, engine_name=body.engine, seed=body.seed, label=body.label)
    return run_metadata(run)


@router.post("/runs", response_model=RunInfo, status_code=201, operation_id="launch_run")
def launch_run(body: RunIn, ctx: Ctx) -> dict[str, Any]:
    """Queue an entanglement simulation (saved topology, YAML or JSON scenario) or a QNN training."""
    return launch(ctx, body)


@router.get("/runs", response_model=list[RunInfo], operation_id="list_runs")
def list_runs(
    ctx: Ctx, status: Annotated[RunStatus | None, Query()] = None,
    kind: Annotated[Literal["entanglement", "qnn"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    rows = store.list_runs(ctx.engine, kind=kind, status=status.value if status else None, limit=limit)
    return [run_metadata(r) for r in rows]


@router.get("/runs/{run_id}", response_model=RunInfo, operation_id="get_run")
def get_run(run_id: RunId, ctx: Ctx) -> dict[str, Any]:
    return run_metadata(store.get_run(ctx.engine, run_id))


@router.get("/runs/{run_id}/results", response_model=RunResults, operation_id="get_run_results")
def get_results(run_id: RunId, ctx: Ctx) -> dict[str, Any]:
    """The run's result JSON (``summary``); 409 while it is still queued or running."""
    run = store.get_run(ctx.engine, run_id)
    if run.status in ACTIVE_STATUSES:
        raise HTTPException(409, f"run {run_id} is {run.status}; results are available once it has finished")
    return {"run": run_metadata(run), "summary": json_safe(run.summary)}


@router.post("/runs/{run_id}/cancel", response_model=RunInfo, operation_id="cancel_run")
def cancel_run(run_id: RunId, ctx: Ctx) -> dict[str, Any]:
    return run_metadata(ctx.manager.cancel(run_id))


@router.post("/runs/{run_id}/qkd", operation_id="distil_keys")
def distil_keys(run_id: RunId, ctx: Ctx) -> list[dict[str, Any]]:
    """Distil BBM92 keys from a finished entanglement run into the key store (once per simulation)."""
    return distil_run(ctx, run_id)


@router.get("/qkd/sessions", operation_id="list_qkd_sessions")
def list_qkd_sessions(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """Figures of past distillations (QBER, leakage, key bits, asymptotic and finite-size rates); no key material."""
    return sessions(ctx, limit)


@router.get("/qkd/pairs", operation_id="list_key_pools")
def key_pools(ctx: Ctx) -> dict[str, int]:
    """Available secret key bits per pair of end nodes."""
    return {pair: 8 * n for pair, n in ctx.keystore.pairs().items()}


def _read_samples(ctx: HubContext, run_id: int, after_step: int) -> list:
    return samples.samples_since(ctx.engine, run_id, after_step, limit=READ_ROWS)


def _snapshot_events(rows: list) -> list[dict[str, Any]]:
    steps: dict[int, dict[str, Any]] = {}
    for r in rows:
        ev = steps.setdefault(r.step, {"step": r.step, "sim_time_s": r.sim_time_s, "values": {}})
        ev["values"].setdefault(r.entity, {})[r.metric] = r.value
    return [steps[k] for k in sorted(steps)]


@router.get("/runs/{run_id}/events", operation_id="stream_run_events",
            responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}})
async def stream_events(
    run_id: RunId, request: Request, ctx: Ctx,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=-1, le=MAX_ID, description="resume after this step (Last-Event-ID)")] = None,
) -> EventSourceResponse:
    """Live snapshots of a run; resumable with ``Last-Event-ID`` (the last step seen)."""
    run = await to_thread.run_sync(store.get_run, ctx.engine, run_id)
    start = after if after is not None else -1
    if last_event_id is not None:
        try:
            start = int(last_event_id)
        except ValueError:
            raise HTTPException(400, "Last-Event-ID: must be the integer id of an event of this stream") from None

    async def events():
        seen = start
        while True:
            rows = await to_thread.run_sync(_read_samples, ctx, run_id, seen)
            if len(rows) == READ_ROWS and rows[0].step != rows[-1].step:
                rows = [r for r in rows if r.step != rows[-1].step]  # never split a step across two events
            current = await to_thread.run_sync(store.get_run, ctx.engine, run_id)
            for ev in _snapshot_events(rows):
                seen = ev["step"]
                yield {"event": "snapshot", "id": str(seen), "data": _dumps({**ev, "progress": current.progress})}
            if not rows and current.status not in ACTIVE_STATUSES:
                yield {"event": "end", "id": str(max(seen, current.last_step) + 1),
                       "data": _dumps(run_metadata(current))}
                return
            if await request.is_disconnected():
                return
            if not rows:
                await asyncio.sleep(POLL_S)

    del run
    return EventSourceResponse(events(), ping=15)


def _dumps(data: Any) -> str:
    import json

    return json.dumps(json_safe(data), separators=(",", ":"))

"""MCP server (``mcp`` 2.x ``MCPServer``): tools that let an LLM agent design, validate and test a network.

Hub layer. The same functions back the HTTP API; the tools add nothing the API cannot do. Served as
Streamable HTTP under ``/mcp`` (behind the hub's bearer token) and over stdio (``qnp serve mcp``). Key
material is never returned unless a tool call asks for it explicitly (``reveal=True``).
"""

from __future__ import annotations

import base64
import functools
import inspect
import time
from collections.abc import Callable
from typing import Any

from anyio import to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from hub.api_runs import RunIn, launch
from hub.api_topologies import ScenarioSource, check, summarize
from hub.context import HubContext
from hub.designer import design
from hub.jsonsafe import json_safe
from hub.keystore import KeyStoreError
from hub.qkd_feed import distil_run
from qnp_engine.model import ScenarioError
from storage import runs as run_store
from storage import samples
from storage import topologies as topo_store
from storage.errors import StorageError
from storage.export import run_metadata
from storage.models import ACTIVE_STATUSES

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
CONSUMES = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)

INSTRUCTIONS = """QNP hub: design quantum networks, simulate them with the QNP engine, and get QKD keys.
Typical flow: design_topology (or validate_topology) -> save it -> launch_run -> follow_run -> get_results
-> distil_keys -> key_status / request_keys. Scenario documents use the QNP YAML format (see validate errors)."""


_USER_ERRORS = (StorageError, ScenarioError, KeyStoreError, ValueError, LookupError)


def _clear_errors(fn: Callable) -> Callable:
    """Bad input reaches the agent as a tool error with the reason (the SDK hides other exceptions' text)."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args, **kwargs):
            try:
                return await fn(*args, **kwargs)
            except _USER_ERRORS as exc:
                raise ToolError(str(exc)) from None
        return run_async

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _USER_ERRORS as exc:
            raise ToolError(str(exc)) from None
    return run


def build_mcp(ctx: HubContext) -> MCPServer:
    server = MCPServer(name="qnp-hub", version="0.1.0", instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(annotations: ToolAnnotations) -> Callable[[Callable], Callable]:
        return lambda fn: server.tool(annotations=annotations)(_clear_errors(fn))

    @tool(READ_ONLY)
    def list_topologies() -> list[dict[str, Any]]:
        """Saved topologies (name, version, last update)."""
        return [{"name": r.name, "version": r.version, "updated_at": r.updated_at.isoformat(timespec="seconds")}
                for r in topo_store.list_topologies(ctx.engine)]

    @tool(READ_ONLY)
    def validate_topology(yaml: str | None = None, scenario: dict[str, Any] | None = None) -> dict[str, Any]:
        """Check a scenario (YAML text or JSON document); errors name the field path and the reason."""
        try:
            source = ScenarioSource(yaml=yaml, scenario=scenario)
        except ValueError as exc:
            return {"valid": False, "errors": [{"field": "", "message": str(exc)}]}
        return check(source).model_dump()

    @tool(WRITES)
    def design_topology(description: dict[str, Any], save: bool = False) -> dict[str, Any]:
        """Build a scenario from a compact JSON description, e.g. {"name": "line", "shape": "chain",
        "end_nodes": ["A", "B"], "repeaters": 2, "link": {"fidelity": 0.97, "length_km": 10},
        "requests": [{"src": "A", "dst": "B", "pairs": 2000}]}; shapes: chain, star, or explicit "nodes"/"links".
        Returns the YAML, a summary, the control plane's plan per request (feasible, fidelity bound, rate) and
        the predicted secret-key rate; with save=true it is stored under its name."""
        out = design(description)
        if out["valid"] and save:
            row = topo_store.save_topology(ctx.engine, out["summary"]["name"], out["yaml"])
            out["saved"] = {"name": row.name, "version": row.version}
        return out

    @tool(WRITES)
    def save_topology(yaml: str, name: str | None = None) -> dict[str, Any]:
        """Validate and save a scenario YAML (a new version if the name exists)."""
        scenario = ScenarioSource(yaml=yaml).parse()
        row = topo_store.save_topology(ctx.engine, name or scenario.name, yaml)
        return {"name": row.name, "version": row.version, "summary": summarize(scenario)}

    @tool(READ_ONLY)
    def get_topology(name: str) -> dict[str, Any]:
        """A saved topology as YAML text."""
        row = topo_store.get_topology(ctx.engine, name)
        return {"name": row.name, "version": row.version, "yaml": row.yaml}

    @tool(WRITES)
    def launch_run(topology: str | None = None, yaml: str | None = None, seed: int | None = None,
                   engine: str | None = None, label: str = "") -> dict[str, Any]:
        """Queue an entanglement simulation of a saved topology (by name) or of a YAML scenario."""
        return launch(ctx, RunIn(topology=topology, yaml=yaml, seed=seed, engine=engine, label=label))  # type: ignore[arg-type]

    @tool(READ_ONLY)
    async def follow_run(run_id: int, wait_s: float = 10.0) -> dict[str, Any]:
        """Wait up to wait_s seconds (max 60) for a run to finish; returns its status and latest metrics."""
        deadline = time.monotonic() + min(max(wait_s, 0.0), 60.0)
        while True:
            run = await to_thread.run_sync(run_store.get_run, ctx.engine, run_id)
            if run.status not in ACTIVE_STATUSES or time.monotonic() >= deadline:
                break
            await to_thread.run_sync(time.sleep, 0.2)
        latest = await to_thread.run_sync(samples.latest_snapshot, ctx.engine, run_id)
        metrics: dict[str, dict[str, float]] = {}
        for (entity, metric), value in latest.values.items():
            if entity.startswith("request:"):
                metrics.setdefault(entity, {})[metric] = value
        return json_safe({"run": run_metadata(run), "latest_step": latest.step, "requests": metrics})

    @tool(READ_ONLY)
    def get_results(run_id: int) -> dict[str, Any]:
        """The result JSON of a finished run (per request: pairs delivered, throughput, fidelity...)."""
        run = run_store.get_run(ctx.engine, run_id)
        if run.status in ACTIVE_STATUSES:
            raise ValueError(f"run {run_id} is {run.status}; call follow_run until it has finished")
        return json_safe({"run": run_metadata(run), "summary": run.summary})

    @tool(WRITES)
    async def distil_keys(run_id: int) -> list[dict[str, Any]]:
        """Turn a finished run's measure-directly pairs into QKD keys (BBM92: sifting, Cascade, privacy
        amplification); returns QBER, key bits and the asymptotic / finite-size figures per request."""
        return await to_thread.run_sync(distil_run, ctx, run_id)

    @tool(READ_ONLY)
    def key_status(master_sae: str, slave_sae: str) -> dict[str, Any]:
        """Stored keys between two SAEs (end nodes), as the ETSI 014 status call reports them."""
        s = ctx.settings
        a, b = s.node_of(master_sae), s.node_of(slave_sae)
        return {"stored_key_count": ctx.keystore.stored_key_count(a, b) if a != b else 0, "key_size": s.key_size,
                "available_bits": 8 * ctx.keystore.available_bytes(a, b), "qkd": ctx.qkd_status(a, b)}

    @tool(CONSUMES)
    def request_keys(master_sae: str, slave_sae: str, number: int = 1, size: int = 256,
                     reveal: bool = False) -> dict[str, Any]:
        """Issue fresh keys for master_sae -> slave_sae (ETSI 014 Get key). Returns key_IDs for the slave's
        dec_keys call; the key bytes are only included with reveal=true (they are then consumed here)."""
        s = ctx.settings
        if not 1 <= number <= s.max_key_per_request or size % 8 or not s.min_key_size <= size <= s.max_key_size:
            raise ValueError(f"number must be 1..{s.max_key_per_request}; size a multiple of 8 in "
                             f"{s.min_key_size}..{s.max_key_size}")
        try:
            keys = ctx.keystore.issue(master_sae, [slave_sae], number, size)
        except KeyStoreError as exc:
            raise ValueError(f"{exc.message} {exc.details or ''}".strip()) from None
        out: list[dict[str, Any]] = [{"key_ID": k.key_id} for k in keys]
        if reveal:
            for item, k in zip(out, keys, strict=True):
                item["key"] = base64.b64encode(k.material).decode()
        return {"master_SAE_ID": master_sae, "slave_SAE_ID": slave_sae, "size": size, "keys": out}

    @server.resource("hub://topologies/{name}", mime_type="application/yaml")
    def topology_resource(name: str) -> str:
        """A saved topology's YAML."""
        return topo_store.get_topology(ctx.engine, name).yaml

    return server

"""MCP round trips with the SDK's own client: in-process, Streamable HTTP on a live uvicorn (bearer token),
and stdio (``python -m hub.cli mcp`` as a subprocess)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from hub.app import create_app
from hub.security import create_token
from tests.hub.conftest import run_live

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anyio

TOOLS = {"list_topologies", "validate_topology", "design_topology", "save_topology", "get_topology", "launch_run",
         "follow_run", "get_results", "distil_keys", "key_status", "request_keys"}


async def test_tools_in_process(app, seed_db):
    async with Client(app.state.hub.extras["mcp"]) as c:
        listed = {t.name: t for t in (await c.list_tools()).tools}
        assert set(listed) == TOOLS
        assert listed["request_keys"].annotations.destructive_hint and listed["key_status"].annotations.read_only_hint

        bad = await c.call_tool("validate_topology", {"yaml": "name: x\nnodes:\n  - {name: A, role: boss}"})
        assert bad.structured_content["valid"] is False
        assert bad.structured_content["errors"][0]["field"] == "nodes[0].role"
        designed = await c.call_tool("design_topology", {
            "description": {"name": "line", "shape": "chain", "repeaters": 2, "link": {"fidelity": 0.98}},
            "save": True})
        d = designed.structured_content
        assert d["valid"] and d["saved"] == {"name": "line", "version": 1} and d["summary"]["nodes"] == 4
        assert d["plans"][0]["path"] == ["A", "R1", "R2", "B"] and d["plans"][0]["predicted_key_rate_hz"] > 0
        nonsense = await c.call_tool("design_topology", {"description": {"shape": "cube"}})
        assert nonsense.structured_content["valid"] is False
        assert "shape" in nonsense.structured_content["errors"][0]["message"]
        names = [t["name"] for t in (await c.call_tool("list_topologies", {})).structured_content["result"]]
        assert names == ["line"]

        results = await c.call_tool("get_results", {"run_id": seed_db.run_id})
        assert results.structured_content["summary"]["requests"][0]["pairs_delivered"] == 40000
        again = await c.call_tool("distil_keys", {"run_id": seed_db.run_id})
        assert again.is_error and "already distilled" in again.content[0].text
        missing = await c.call_tool("get_results", {"run_id": 424242})
        assert missing.is_error and "run 424242 not found" in missing.content[0].text

        status = (await c.call_tool("key_status", {"master_sae": "SAE_A", "slave_sae": "SAE_B"})).structured_content
        assert status["available_bits"] == seed_db.reports[0]["key_bits"]
        issued = (await c.call_tool("request_keys", {"master_sae": "SAE_A", "slave_sae": "SAE_B", "number": 2})
                  ).structured_content
        assert len(issued["keys"]) == 2 and all(set(k) == {"key_ID"} for k in issued["keys"])  # no material
        shown = (await c.call_tool("request_keys", {"master_sae": "SAE_A", "slave_sae": "SAE_B", "reveal": True})
                 ).structured_content
        assert len(shown["keys"][0]["key"]) == 44  # 256 bits, base64
        empty = await c.call_tool("request_keys", {"master_sae": "SAE_A", "slave_sae": "SAE_C"})
        assert empty.is_error and "no QKD link" in empty.content[0].text


async def test_streamable_http_behind_bearer_token(settings):
    app = create_app(replace(settings, manage_runs=True))
    token, _ = create_token(app.state.hub.engine, "agent")
    for live in run_live(app):
        url = f"{live.url}/mcp/"
        hc = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
        async with hc, Client(streamable_http_client(url, http_client=hc)) as c:
            assert {t.name for t in (await c.list_tools()).tools} == TOOLS
            chain = (ROOT / "sample_topologies" / "chain-3.yaml").read_text()
            saved = await c.call_tool("save_topology", {"yaml": chain})
            assert saved.structured_content["name"] == "chain-3"
            run = (await c.call_tool("launch_run", {"topology": "chain-3", "seed": 3})).structured_content
            followed = (await c.call_tool("follow_run", {"run_id": run["id"], "wait_s": 60})).structured_content
            assert followed["run"]["status"] == "done" and "request:ab" in followed["requests"]
            res = (await c.call_tool("get_results", {"run_id": run["id"]})).structured_content
            assert res["summary"]["requests"][0]["status"] == "complete"
        async with httpx2.AsyncClient(timeout=10) as anonymous:
            r = await anonymous.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert r.status_code == 401


async def test_stdio_transport(db_url):
    params = StdioServerParameters(command=sys.executable, args=["-m", "hub.cli", "--db-url", db_url, "mcp"],
                                   cwd=str(ROOT), env={"PYTHONPATH": str(ROOT)})
    async with Client(params) as c:
        status = await c.call_tool("key_status", {"master_sae": "A", "slave_sae": "B"})
        assert status.structured_content["stored_key_count"] > 0
        assert (await c.call_tool("validate_topology", {})).structured_content["valid"] is False

"""Runs through storage's run manager (real worker processes): launch, status, results, cancel, the SSE
stream (in-process and on a live uvicorn, resumed with Last-Event-ID), and key distillation from a run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.security import create_token
from storage import samples
from tests.hub.conftest import BASE_URL, run_live

CHAIN = (Path(__file__).resolve().parents[2] / "sample_topologies" / "chain-3.yaml").read_text()
SMALL = CHAIN.replace("max_time_s: 10", "max_time_s: 1")  # 1000 pairs over ~15 snapshot slices
MEDIUM = CHAIN.replace("pairs: 1000", "pairs: 20000")  # a few seconds: long enough to drop the stream mid-run
LONG = CHAIN.replace("pairs: 1000", "pairs: 100000000").replace("max_time_s: 10", "max_time_s: 100000")


def parse_sse(text: str) -> list[dict]:
    events, current = [], {}
    for line in text.splitlines():
        if not line:
            if "event" in current:
                events.append(current)
            current = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            current[field] = value.strip()
    return events


@pytest.fixture
def runs_app(settings):
    return create_app(replace(settings, manage_runs=True))


def test_launch_follow_results_and_events(runs_app):
    token, _ = create_token(runs_app.state.hub.engine, "runs")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(runs_app, base_url=BASE_URL) as c:
        r = c.post("/api/v1/runs", headers=auth, json={"yaml": SMALL, "seed": 7, "label": "api"})
        assert r.status_code == 201, r.text
        run = r.json()
        assert run["kind"] == "entanglement" and run["seed"] == 7 and run["status"] in ("queued", "running")
        done = runs_app.state.hub.manager.wait(run["id"], timeout_s=90)
        assert done.status == "done", done.error
        info = c.get(f"/api/v1/runs/{run['id']}", headers=auth).json()
        assert info["status"] == "done" and info["progress"] == 1.0
        res = c.get(f"/api/v1/runs/{run['id']}/results", headers=auth).json()
        assert res["summary"]["requests"][0]["name"] == "ab" and res["summary"]["seed"] == 7
        assert [x["id"] for x in c.get("/api/v1/runs", headers=auth, params={"status": "done"}).json()][0] == run["id"]

        stream = c.get(f"/api/v1/runs/{run['id']}/events", headers=auth)
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(stream.text)
        snaps = [e for e in events if e["event"] == "snapshot"]
        steps = sorted({s.step for s in samples.samples_since(runs_app.state.hub.engine, run["id"], -1)})
        assert [int(e["id"]) for e in snaps] == steps and events[-1]["event"] == "end"
        assert json.loads(events[-1]["data"])["status"] == "done"
        assert "request:ab" in json.loads(snaps[-1]["data"])["values"]
        # Resume after the third snapshot: exactly the later steps come again.
        resumed = parse_sse(c.get(f"/api/v1/runs/{run['id']}/events",
                                  headers={**auth, "Last-Event-ID": snaps[2]["id"]}).text)
        assert [int(e["id"]) for e in resumed if e["event"] == "snapshot"] == steps[3:]
        bad = c.get(f"/api/v1/runs/{run['id']}/events", headers={**auth, "Last-Event-ID": "x"})
        assert bad.status_code == 400

        # Keys from this run: distilled once (too few pairs here for a finite-size key: reported, not faked).
        reports = c.post(f"/api/v1/runs/{run['id']}/qkd", headers=auth).json()
        assert reports[0]["pair"] == "A|B" and reports[0]["pairs"] == 1000 and reports[0]["key_bits"] == 0
        assert "too few" in reports[0]["aborted"] and reports[0]["predicted_key_rate_hz"] > 0
        again = c.post(f"/api/v1/runs/{run['id']}/qkd", headers=auth)
        assert again.status_code == 409 and "already distilled" in again.json()["detail"]
        assert len(c.get("/api/v1/qkd/sessions", headers=auth).json()) == 2
        assert c.get("/api/v1/qkd/pairs", headers=auth).json()["A|B"] > 0


def test_cancel_a_long_run(runs_app):
    token, _ = create_token(runs_app.state.hub.engine, "runs")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(runs_app, base_url=BASE_URL) as c:
        run = c.post("/api/v1/runs", headers=auth, json={"yaml": LONG}).json()
        assert c.get(f"/api/v1/runs/{run['id']}/results", headers=auth).status_code == 409
        assert c.post(f"/api/v1/runs/{run['id']}/cancel", headers=auth).status_code == 200
        final = runs_app.state.hub.manager.wait(run["id"], timeout_s=90)
        assert final.status == "cancelled"
        distil = c.post(f"/api/v1/runs/{run['id']}/qkd", headers=auth)
        assert distil.status_code == 409 and "cancelled" in distil.json()["detail"]


def test_sse_on_live_uvicorn_resumes_with_last_event_id(runs_app):
    token, _ = create_token(runs_app.state.hub.engine, "runs")
    auth = {"Authorization": f"Bearer {token}"}
    for live in run_live(runs_app):
        with httpx.Client(base_url=live.url, headers=auth, timeout=60) as c:
            run = c.post("/api/v1/runs", json={"yaml": MEDIUM, "seed": 11}).json()
            first: list[dict] = []
            with c.stream("GET", f"/api/v1/runs/{run['id']}/events") as r:
                buf = ""
                for chunk in r.iter_text():
                    buf += chunk
                    first = [e for e in parse_sse(buf) if e["event"] == "snapshot"]
                    if len(first) >= 2:
                        break  # drop the connection mid-stream
            last = first[-1]["id"]
            rest = parse_sse(c.get(f"/api/v1/runs/{run['id']}/events", headers={"Last-Event-ID": last}).text)
            ids = [int(e["id"]) for e in first + [e for e in rest if e["event"] == "snapshot"]]
            assert ids == sorted(set(ids)) and rest[-1]["event"] == "end"
            steps = sorted({s.step for s in samples.samples_since(runs_app.state.hub.engine, run["id"], -1)})
            assert ids == steps

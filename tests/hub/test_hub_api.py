"""HTTP API in-process (httpx through Starlette's TestClient): auth, limits, topologies, errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.security import create_token, hash_token, revoke_token
from hub.tables import ApiToken
from tests.hub.conftest import BASE_URL

CHAIN = Path(__file__).resolve().parents[2] / "sample_topologies" / "chain-3.yaml"


def test_health_needs_no_token(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["key_pairs"] == 1


def test_bearer_tokens_are_hashed_checked_and_revocable(client, app):
    assert client.get("/api/v1/topologies").status_code == 401
    assert client.get("/api/v1/topologies", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = client.get("/api/v1/topologies", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and "Bearer" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    text, row = create_token(app.state.hub.engine, "alice")
    with Session(app.state.hub.engine) as s:
        stored = s.exec(select(ApiToken).where(ApiToken.id == row.id)).one()
    assert stored.token_hash == hash_token(text) and text not in stored.token_hash and len(text) > 40
    ok = {"Authorization": f"Bearer {text}"}
    assert client.get("/api/v1/topologies", headers=ok).status_code == 200
    revoke_token(app.state.hub.engine, row.id)
    assert client.get("/api/v1/topologies", headers=ok).status_code == 401


def test_rate_limit_per_token(settings):
    app = create_app(replace(settings, rate_limit_per_s=0.5, rate_burst=3))
    a, _ = create_token(app.state.hub.engine, "a")
    b, _ = create_token(app.state.hub.engine, "b")
    with TestClient(app, base_url=BASE_URL) as c:
        codes = [c.get("/api/v1/topologies", headers={"Authorization": f"Bearer {a}"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.get("/api/v1/topologies", headers={"Authorization": f"Bearer {a}"})
        assert "rate limit" in r.json()["detail"] and int(r.headers["retry-after"]) >= 1
        # Another token has its own bucket.
        assert c.get("/api/v1/topologies", headers={"Authorization": f"Bearer {b}"}).status_code == 200


def test_request_size_limit(settings):
    app = create_app(replace(settings, max_body_bytes=2000))
    token, _ = create_token(app.state.hub.engine, "t")
    with TestClient(app, base_url=BASE_URL) as c:
        r = c.post("/api/v1/topologies/validate", headers={"Authorization": f"Bearer {token}"},
                   json={"yaml": "x" * 5000})
        assert r.status_code == 413 and "larger than 2000 bytes" in r.json()["detail"]


def test_topology_crud_and_field_errors(client, auth):
    text = CHAIN.read_text()
    r = client.post("/api/v1/topologies", headers=auth, json={"yaml": text})
    assert r.status_code == 201 and r.json()["name"] == "chain-3" and r.json()["version"] == 1
    assert r.json()["summary"]["end_nodes"] == ["A", "B"]
    doc = client.get("/api/v1/topologies/chain-3", headers=auth).json()
    assert doc["scenario"]["nodes"][0]["name"] == "A" and doc["scenario"]["defaults"]["node"]["memory"]["t1_s"] == "inf"
    # The JSON document round-trips (saved again under another name from JSON).
    again = client.post("/api/v1/topologies", headers=auth, json={"scenario": doc["scenario"], "name": "copy"})
    assert again.status_code == 201
    yaml_text = client.get("/api/v1/topologies/copy", headers=auth, params={"format": "yaml"})
    assert yaml_text.headers["content-type"].startswith("application/yaml") and "nodes:" in yaml_text.text
    v2 = client.post("/api/v1/topologies", headers=auth, json={"yaml": text, "expected_version": 1})
    assert v2.json()["version"] == 2
    stale = client.post("/api/v1/topologies", headers=auth, json={"yaml": text, "expected_version": 1})
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]
    names = [t["name"] for t in client.get("/api/v1/topologies", headers=auth).json()]
    assert names == ["chain-3", "copy"]
    assert client.delete("/api/v1/topologies/copy", headers=auth).status_code == 204
    missing = client.get("/api/v1/topologies/copy", headers=auth)
    assert missing.status_code == 404 and "copy" in missing.json()["detail"]

    bad = text.replace("- {a: R, b: B,", "- {a: R, b: Q,")
    r = client.post("/api/v1/topologies", headers=auth, json={"yaml": bad})
    assert r.status_code == 422
    assert any(e["field"] == "links[1].b" and "Q" in e["message"] for e in r.json()["errors"])
    v = client.post("/api/v1/topologies/validate", headers=auth, json={"yaml": bad}).json()
    assert v["valid"] is False and v["errors"][0]["field"] == "links[1].b"
    assert client.post("/api/v1/topologies/validate", headers=auth, json={"yaml": text}).json()["valid"] is True


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "exactly one of 'yaml'"),
        ({"yaml": "a: [1", "scenario": {}}, "exactly one of 'yaml'"),
        ({"yaml": 5}, "body.yaml"),
    ],
)
def test_bad_bodies_are_422_with_field_and_reason(client, auth, body, needle):
    r = client.post("/api/v1/topologies", headers=auth, json=body)
    assert r.status_code == 422 and needle in r.json()["detail"]


def test_malformed_yaml_and_json_are_4xx(client, auth):
    r = client.post("/api/v1/topologies", headers=auth, json={"yaml": "name: x\nnodes: [1"})
    assert r.status_code == 422 and "malformed YAML" in r.json()["detail"]
    r = client.post("/api/v1/topologies", headers={**auth, "content-type": "application/json"}, content=b"{oops")
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("body")
    assert client.get("/api/v1/runs/999999", headers=auth).status_code == 404
    assert client.get("/api/v1/runs/abc", headers=auth).status_code == 422
    assert client.post("/api/v1/runs", headers=auth, json={"topology": "nope"}).status_code == 404
    r = client.post("/api/v1/runs", headers=auth, json={"kind": "qnn"})
    assert r.status_code == 422 and "config" in r.json()["detail"]

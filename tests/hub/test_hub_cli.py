"""``qnp serve``: tokens, argument errors, and the real server process answering on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from hub.cli import app
from tests.hub.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_tokens_create_list_revoke(db_url, seed_db):
    out = runner.invoke(app, ["--db-url", db_url, "token", "ci-agent"])
    assert out.exit_code == 0 and "qnp_" in out.output
    token_id = out.output.split()[1]
    listed = runner.invoke(app, ["--db-url", db_url, "tokens"])
    assert "ci-agent" in listed.output and "active" in listed.output
    assert out.output.split()[-1] not in listed.output  # only a prefix is ever shown again
    assert runner.invoke(app, ["--db-url", db_url, "revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["--db-url", db_url, "tokens"]).output
    missing = runner.invoke(app, ["--db-url", db_url, "revoke", "999"])
    assert missing.exit_code == 1 and "not found" in missing.output
    distil = runner.invoke(app, ["--db-url", db_url, "distil", str(seed_db.run_id)])
    assert distil.exit_code == 1 and "already distilled" in distil.output


def test_bad_arguments_are_refused_with_a_reason(db_url):
    r = runner.invoke(app, ["--db-url", db_url, "--host", "0.0.0.0", "--no-auth"])
    assert r.exit_code == 2 and "loopback" in r.output
    r = runner.invoke(app, ["--db-url", db_url, "--client-ca", "ca.pem"])
    assert r.exit_code == 2 and "--tls-cert" in r.output
    r = runner.invoke(app, ["--db-url", db_url, "--port", "70000"])
    assert r.exit_code == 2


def test_serve_process_answers_on_loopback(db_url):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "--db-url", db_url, "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
                time.sleep(0.2)
        assert r.json()["status"] == "ok"
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/api/v1/keys/{slave_SAE_ID}/enc_keys" in spec["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/runs", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)

"""Fixtures for the hub tests: a database seeded once with real QKD keys, apps, tokens, mTLS certificates,
and a live uvicorn on a loopback port.

The seed database is built by the real path: a scenario is submitted to storage, executed by the storage
worker in-process, and its pairs are distilled by ``hub.qkd_feed`` (simulation + BBM92). Each test gets a
copy, so tests never share key state.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import trustme
from fastapi.testclient import TestClient

from hub.app import build_context, create_app
from hub.identity import make_server
from hub.security import create_token
from hub.settings import HubSettings
from storage.db import open_database, sqlite_url
from storage.runs import submit_entanglement
from storage.worker import execute

SAE_NODES = {"SAE_A": "A", "SAE_B": "B", "SAE_C": "C"}
BASE_URL = "http://127.0.0.1:8000"  # MCP's DNS-rebinding guard accepts loopback hosts only

QKD_SCENARIO = """
name: qkd-lab
nodes:
  - {name: A, role: end}
  - {name: B, role: end}
  - {name: C, role: end}
links:
  - {a: A, b: B, fidelity: 0.995, success_probability: 0.5, attempt_time_s: 1.0e-6, length_km: 1}
  - {a: B, b: C, fidelity: 0.995, success_probability: 0.5, attempt_time_s: 1.0e-6, length_km: 1}
requests:
  - {name: ab, src: A, dst: B, qos: measure_directly, pairs: 40000}
simulation: {seed: 5, max_time_s: 10}
"""


def settings_for(db_url: str, **overrides) -> HubSettings:
    base = HubSettings(db_url=db_url, allow_header_identity=True, manage_runs=False, sae_nodes=dict(SAE_NODES),
                       rate_limit_per_s=1000.0, rate_burst=1000)
    return replace(base, **overrides)


@dataclass(frozen=True)
class Seed:
    path: Path
    reports: list[dict]
    run_id: int


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory) -> Seed:
    path = tmp_path_factory.mktemp("seed") / "hub.db"
    engine = open_database(sqlite_url(path))
    ctx = build_context(settings_for(sqlite_url(path)), engine)
    run = submit_entanglement(engine, QKD_SCENARIO)
    execute(engine, run.id)
    from hub.qkd_feed import distil_run

    reports = distil_run(ctx, run.id)
    engine.dispose()
    return Seed(path, reports, run.id)


@pytest.fixture
def db_url(seed_db: Seed, tmp_path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(seed_db.path) + suffix)
        if src.exists():
            shutil.copy(src, tmp_path / f"hub.db{suffix}")
    return sqlite_url(tmp_path / "hub.db")


@pytest.fixture
def settings(db_url: str) -> HubSettings:
    return settings_for(db_url)


@pytest.fixture
def app(settings: HubSettings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def token(app) -> str:
    return create_token(app.state.hub.engine, "tests")[0]


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sae(name: str) -> dict[str, str]:
    return {"x-sae-id": name}


# -- TLS -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Certs:
    ca: str
    server_cert: str
    server_key: str
    clients: dict[str, tuple[str, str]]  # SAE ID -> (cert, key)


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Certs:
    d = tmp_path_factory.mktemp("certs")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(str(d / "server.pem"))
    server.private_key_pem.write_to_path(str(d / "server.key"))
    clients = {}
    for name in ("SAE_A", "SAE_B", "SAE_C"):
        leaf = ca.issue_cert(f"{name.lower().replace('_', '-')}.sae.test", common_name=name)
        leaf.cert_chain_pems[0].write_to_path(str(d / f"{name}.pem"))
        leaf.private_key_pem.write_to_path(str(d / f"{name}.key"))
        clients[name] = (str(d / f"{name}.pem"), str(d / f"{name}.key"))
    return Certs(str(d / "ca.pem"), str(d / "server.pem"), str(d / "server.key"), clients)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Live:
    url: str
    port: int
    app: object


def run_live(app, certs: Certs | None = None, require_client_cert: bool = False) -> Iterator[Live]:
    """uvicorn in a thread on a free loopback port; HTTPS with client certificates when ``certs`` is given."""
    port = free_port()
    kwargs = {}
    if certs is not None:
        kwargs = {"certfile": certs.server_cert, "keyfile": certs.server_key, "ca_certs": certs.ca,
                  "require_client_cert": require_client_cert}
    # Clients that keep idle keep-alive connections (e.g. qkdsec's probe) must not hold the teardown up.
    server = make_server(app, "127.0.0.1", port, graceful_shutdown_s=0.5, **kwargs)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Live(f"{'https' if certs else 'http'}://127.0.0.1:{port}", port, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_tls(db_url: str, certs: Certs) -> Iterator[Live]:
    app = create_app(settings_for(db_url, allow_header_identity=False))
    yield from run_live(app, certs)

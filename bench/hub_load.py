"""Issue 10 benchmark: the hub under loopback load, and the QKD pipeline's secret-key yield.

(a) API: a real ``qnp serve`` process (uvicorn, HTTPS with client certificates, as ETSI GS QKD 014 is run)
on 127.0.0.1, ``--clients`` concurrent keep-alive clients (each with the SAE_A certificate) sending at most
``--requests`` requests per endpoint within ``--time-limit`` seconds: requests/s and p50/p99 latency for
``/health`` (baseline: no database, no key logic), ``GET .../status`` and ``POST .../enc_keys``
(each consumes fresh key from the pool, which is filled by the QKD pipeline first).
(b) QKD pipeline: BBM92 distillation of Werner pairs (closed-form backend) at several fidelities: secret bits
per delivered pair, i.e. secret-key bits/s per pair/s of delivered rate, next to the asymptotic value
1/2 (1 - 2h(Q)) of R10, and how many delivered pairs per second one core can post-process.

Usage: python bench/hub_load.py [--clients 50] [--requests 2000] [--time-limit 30] [--pairs 400000]
Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import trustme  # noqa: E402

from hub.app import build_context  # noqa: E402
from hub.settings import HubSettings  # noqa: E402
from qnp_engine.apps import run_bbm92, werner_qber  # noqa: E402
from qnp_engine.apps.bbm92_source import sample_outcomes  # noqa: E402
from qnp_engine.apps.keyrate import SIFTING_XZ, asymptotic_key_fraction  # noqa: E402
from qnp_engine.backends.closed_form import ClosedFormBackend  # noqa: E402
from storage.db import open_database, sqlite_url  # noqa: E402


def qkd_yield(pairs: int, fidelities: list[float]) -> list[dict]:
    backend = ClosedFormBackend()
    rows = []
    for f in fidelities:
        records = sample_outcomes(backend, backend.werner(f), pairs, np.random.default_rng(1))
        t0 = time.perf_counter()
        r = run_bbm92(records, seed=1, auth_key=bytes(4096))
        wall = time.perf_counter() - t0
        rows.append({"F": f, "qber": r.qber, "bits_per_pair": r.secret_bits / pairs, "key_bits": r.key_bits,
                     "asymptotic": SIFTING_XZ * asymptotic_key_fraction(werner_qber(f)), "pairs_per_s": pairs / wall,
                     "wall_s": wall, "aborted": r.aborted, "key": r.key})
    return rows


def certificates(folder: Path) -> dict[str, str]:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    server = ca.issue_cert("127.0.0.1")
    server.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
    server.private_key_pem.write_to_path(str(folder / "server.key"))
    client = ca.issue_cert("sae-a.test", common_name="A")
    client.cert_chain_pems[0].write_to_path(str(folder / "a.pem"))
    client.private_key_pem.write_to_path(str(folder / "a.key"))
    return {k: str(folder / v) for k, v in
            {"ca": "ca.pem", "cert": "server.pem", "key": "server.key", "ccert": "a.pem", "ckey": "a.key"}.items()}


async def load(url: str, method: str, path: str, body: dict | None, tls: dict, clients: int, total: int,
               time_limit: float) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    issued = 0
    deadline = time.monotonic() + time_limit

    async def worker() -> None:
        nonlocal issued
        context = ssl.create_default_context(cafile=tls["ca"])
        context.load_cert_chain(tls["ccert"], tls["ckey"])  # the SAE's client certificate (mTLS)
        async with httpx.AsyncClient(base_url=url, verify=context, timeout=30) as c:
            await c.get("/health")  # handshake outside the measurement
            while issued < total and time.monotonic() < deadline:
                issued += 1
                t0 = time.perf_counter()
                r = await c.request(method, path, json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors[r.status_code] = errors.get(r.status_code, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    return {"requests": len(lat), "rps": len(lat) / wall, "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000, help="requests per endpoint (upper bound)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per endpoint (upper bound)")
    ap.add_argument("--pairs", type=int, default=400_000, help="Werner pairs per QKD measurement")
    args = ap.parse_args()

    print(f"(b) QKD pipeline, {args.pairs} Werner pairs per point (one core)")
    rows = qkd_yield(args.pairs, [0.99, 0.97, 0.95, 0.9, 0.85])
    print(f"{'F':>5} {'QBER':>7} {'bits/pair':>10} {'R10 bound':>10} {'ratio':>6} {'pairs/s':>10}  note")
    for r in rows:
        ratio = r["bits_per_pair"] / r["asymptotic"] if r["asymptotic"] else 0.0
        print(f"{r['F']:>5} {r['qber']:>7.4f} {r['bits_per_pair']:>10.4f} {r['asymptotic']:>10.4f} {ratio:>6.2f} "
              f"{r['pairs_per_s']:>10.0f}  {r['aborted'] or 'key ' + str(r['key_bits']) + ' bits'}")
    print("secret-key bits/s = bits/pair x delivered pairs/s (e.g. 1 kHz of F=0.97 pairs -> "
          f"{1000 * rows[1]['bits_per_pair']:.0f} bit/s)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url = sqlite_url(folder / "hub.db")
        engine = open_database(db_url)
        ctx = build_context(HubSettings(db_url=db_url, manage_runs=False), engine)
        need = args.requests * 32 + 4096
        have = 0
        for r in rows:  # the pool is filled with distilled key; repeat the best point if more is needed
            ctx.keystore.deposit("A", "B", r["key"], source="bench")
            have += len(r["key"])
        extra = 2
        while have < need:
            more = run_bbm92(sample_outcomes(ClosedFormBackend(), ClosedFormBackend().werner(0.99), args.pairs,
                                             np.random.default_rng(extra)), seed=extra, auth_key=bytes(4096))
            ctx.keystore.deposit("A", "B", more.key, source="bench")
            have += len(more.key)
            extra += 1
        from hub.tables import QkdSession

        with ctx.session() as s:
            s.add(QkdSession(pair="A|B", report={"bench": True}, fingerprint="bench"))
            s.commit()
        engine.dispose()
        tls = certificates(folder)
        port = 18000 + os.getpid() % 1000
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QNP_HUB_RATE_LIMIT_PER_S": "1e9",
               "QNP_HUB_RATE_BURST": "1000000"}
        server = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--db-url", db_url, "--port", str(port), "--tls-cert", tls["cert"],
             "--tls-key", tls["key"], "--client-ca", tls["ca"], "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"https://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{url}/health", verify=tls["ca"], timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            print(f"\n(a) API over mTLS on 127.0.0.1, {args.clients} concurrent clients, <= {args.requests} requests "
                  f"and <= {args.time_limit:g} s per endpoint; pool {have * 8} bits of distilled key")
            print(f"{'endpoint':<28} {'req':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs health':>9}  errors")
            base = None
            for name, method, path, body in [
                ("GET /health (baseline)", "GET", "/health", None),
                ("GET .../B/status", "GET", "/api/v1/keys/B/status", None),
                ("POST .../B/enc_keys 256b", "POST", "/api/v1/keys/B/enc_keys", {"number": 1, "size": 256}),
            ]:
                res = asyncio.run(load(url, method, path, body, tls, args.clients, args.requests, args.time_limit))
                base = base or res["rps"]
                print(f"{name:<28} {res['requests']:>6} {res['rps']:>8.0f} {res['p50_ms']:>8.1f} "
                      f"{res['p99_ms']:>8.1f} {res['rps'] / base:>9.2f}  {res['errors'] or '-'}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()

"""The compiled engine (``qnp_engine.compiled``, mypyc) gives the pure engine's results bit for bit, is found by
any process importing the same sources, and is never used for edited ones.

Builds once (about 30 s) the way the app does, through ``start_background_build``, into a temporary cache; then
runs scenarios that reach every compiled module's branches (Werner and single-click links, Bell-diagonal and
density-matrix states, T1/T2 and depolarising memories, cutoffs, several circuits sharing links under fair
queueing, measure-directly with test rounds, message jitter) in a subprocess that imports the engine from this
checkout, and compares the whole results with the pure engine's in this process (tests run pure: conftest).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qnp_engine.compiled import CACHE_ENV, HOT_MODULES, MODE_ENV, SOURCE_ROOT, read_manifest, source_key, status
from qnp_engine.compiled.build import _take_lock, build, start_background_build, toolchain_problem
from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(toolchain_problem() is not None, reason=f"cannot build: {toolchain_problem()}")

SCENARIOS = {
    "chain-5": "sample_topologies/chain-5.yaml",
    "dumbbell": "sample_topologies/dumbbell.yaml",
    "metro": "sample_topologies/metro-randstad.yaml",
}
# Extra settings per scenario so that more branches run: jittered messages, a short run.
OVERRIDES = {"chain-5": {"message_jitter_s": 2e-6}, "dumbbell": {}, "metro": {}}

RUN = """
import json, sys
import qnp_engine.compiled as compiled
import qnp_engine.link.link_layer as ll
from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation
out = {"compiled": compiled.running_compiled(), "link_layer": ll.__file__, "status": compiled.status().state}
for name, (path, over, max_time) in json.loads(sys.argv[1]).items():
    s = load_scenario(open(path).read())
    s = s.model_copy(update={"simulation": s.simulation.model_copy(update={**over, "max_time_s": max_time})})
    r = Simulation(s, keep_outcomes=True).run().to_dict()
    r.pop("wall_time_s", None)
    out[name] = r
print(json.dumps(out, sort_keys=True))
"""


def _pure(path: str, over: dict, max_time: float) -> dict:
    s = load_scenario((ROOT / path).read_text())
    s = s.model_copy(update={"simulation": s.simulation.model_copy(update={**over, "max_time_s": max_time})})
    r = Simulation(s, keep_outcomes=True).run().to_dict()
    r.pop("wall_time_s", None)
    return json.loads(json.dumps(r, sort_keys=True))


def run_engine(engine_parent: Path, cache: Path, mode: str, jobs: dict) -> subprocess.CompletedProcess:
    """RUN in a fresh interpreter importing ``qnp_engine`` from ``engine_parent``."""
    env = dict(os.environ, PYTHONPATH=str(engine_parent), **{CACHE_ENV: str(cache), MODE_ENV: mode})
    return subprocess.run([sys.executable, "-c", RUN, json.dumps(jobs)], capture_output=True, text=True, env=env,
                          cwd=cache, timeout=600)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache holding a build of this checkout's engine, made as the app makes it."""
    root = tmp_path_factory.mktemp("engine-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(root))
        mp.setenv(MODE_ENV, "auto")
        assert status().state == "missing"
        proc = start_background_build()
        assert proc is not None
        assert proc.wait(timeout=900) == 0
        assert start_background_build() is None  # built: nothing more to do
        assert status().state == "ready"
    yield root


def test_the_build_holds_every_hot_module_as_an_extension(cache: Path) -> None:
    files = read_manifest(cache / source_key())
    assert files is not None
    for name in HOT_MODULES:
        assert files[name].name.endswith(".so") and files[name].is_file(), name
    assert not list(cache.glob("*.lock")) and not list(cache.glob("build-*"))  # no leftovers


def test_compiled_engine_gives_the_pure_results_bit_for_bit(cache: Path) -> None:
    jobs = {name: (str(ROOT / path), OVERRIDES[name], 0.05) for name, path in SCENARIOS.items()}
    proc = run_engine(SOURCE_ROOT.parent, cache, "require", jobs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got.pop("compiled") is True and got.pop("status") == "ready"
    assert Path(got.pop("link_layer")).is_relative_to(cache)  # the subprocess really ran the extensions
    for name, (path, over, max_time) in jobs.items():
        expected = _pure(path, over, max_time)
        assert sum(q["pairs_delivered"] for q in expected["requests"]) > 0, name
        assert got[name] == expected, name


def test_edited_sources_never_run_beside_a_stale_build(cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(SOURCE_ROOT, copy / "qnp_engine", ignore=shutil.ignore_patterns("__pycache__"))
    assert source_key(copy / "qnp_engine") == source_key()  # same bytes, same key: the build is found
    hot = copy / "qnp_engine" / "link" / "memory.py"
    hot.write_text(hot.read_text() + "\n# edited\n")
    assert source_key(copy / "qnp_engine") != source_key()
    jobs = {"chain-5": (str(ROOT / SCENARIOS["chain-5"]), {}, 0.01)}
    proc = run_engine(copy, cache, "auto", jobs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got["compiled"] is False and got["status"] == "missing"
    assert Path(got["link_layer"]) == copy / "qnp_engine" / "link" / "link_layer.py"


def test_a_build_that_cannot_load_falls_back_to_pure_python(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "cache"
    shutil.copytree(cache / source_key(), broken / source_key())
    files = read_manifest(broken / source_key())
    group = next(f for name, f in files.items() if name not in HOT_MODULES)  # mypyc's shared library
    group.write_bytes(b"not an ELF file")
    jobs = {"chain-5": (str(ROOT / SCENARIOS["chain-5"]), {}, 0.01)}
    proc = run_engine(SOURCE_ROOT.parent, broken, "auto", jobs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["compiled"] is False
    assert "does not load" in proc.stderr and "running pure Python" in proc.stderr
    proc = run_engine(SOURCE_ROOT.parent, broken, "require", jobs)
    assert proc.returncode != 0 and "QNP_ENGINE_COMPILED=require but the build in" in proc.stderr


def test_building_again_is_a_no_op_that_releases_the_callers_lock(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setenv(MODE_ENV, "auto")
    lock = cache / f"{source_key()}.lock"
    assert _take_lock(lock)
    assert status().state == "ready"  # a finished build wins over a lock
    built = build(held_lock=lock)
    assert built.compiled and built.directory == cache / source_key()
    assert not lock.exists() and not list(cache.glob("build-*"))


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps (Linux)")
def test_the_apps_workers_run_the_build(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the app does: a run manager with a spare worker; the worker has the build's extensions mapped."""
    from storage.db import open_database, sqlite_url
    from storage.manager import RunManager
    from tests.storage.storage_testkit import LONG_YAML

    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setenv(MODE_ENV, "auto")
    engine = open_database(sqlite_url(tmp_path / "runs.db"))
    mgr = RunManager(engine, standby=True)
    try:
        assert mgr._engine_build is None  # already built: nothing started
        run = mgr.submit_entanglement(LONG_YAML)
        pid = mgr.worker_pid(run.id)
        link_layer = f"{cache / source_key()}/qnp_engine/link/link_layer."
        deadline = time.monotonic() + 60
        maps = ""
        while link_layer not in maps and time.monotonic() < deadline:  # mapped as the run's engine is imported
            maps = Path(f"/proc/{pid}/maps").read_text()
            time.sleep(0.1)
        assert link_layer in maps
        mgr.cancel(run.id)
        assert mgr.wait(run.id, 60).status == "cancelled"
    finally:
        mgr.shutdown(stop_workers=True)
        engine.dispose()

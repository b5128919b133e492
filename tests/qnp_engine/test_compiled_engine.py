"""The compiled engine (scripts/compile_engine.py, mypyc) gives the pure engine's results bit for bit.

Builds the compiled copy once (about 25 s), then runs scenarios that reach every compiled module's branches
(Werner and single-click links, Bell-diagonal and density-matrix states, T1/T2 and depolarising memories,
cutoffs, several circuits sharing links under fair queueing, measure-directly with test rounds, message jitter)
in a subprocess with the copy first on the path, and compares the whole results with the pure engine's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from compile_engine import HOT_MODULES, compile_engine  # noqa: E402

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypyc") is None or not (shutil.which("cc") or shutil.which("gcc"))
    or not Path(sysconfig.get_paths()["include"], "Python.h").exists(),
    reason="needs mypy (mypyc), a C compiler and the Python headers")

SCENARIOS = {
    "chain-5": "sample_topologies/chain-5.yaml",
    "dumbbell": "sample_topologies/dumbbell.yaml",
    "metro": "sample_topologies/metro-randstad.yaml",
}
# Extra settings per scenario so that more branches run: jittered messages, a short run.
OVERRIDES = {"chain-5": {"message_jitter_s": 2e-6}, "dumbbell": {}, "metro": {}}

RUN = """
import json, sys
import qnp_engine.link.link_layer as ll
from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation
out = {"compiled": ll.__file__.endswith(".so")}
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


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    return compile_engine(tmp_path_factory.mktemp("compiled"))


def test_compiled_modules_are_extensions(compiled):
    for module in HOT_MODULES:
        stem = Path(module).with_suffix("")
        assert list((compiled / stem.parent).glob(f"{stem.name}.*.so")), f"{module} was not compiled"


def test_compiled_engine_gives_the_pure_results_bit_for_bit(compiled):
    jobs = {name: (str(ROOT / path), OVERRIDES[name], 0.05) for name, path in SCENARIOS.items()}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(compiled), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", RUN, json.dumps(jobs)], capture_output=True, text=True,
                          env=env, cwd=compiled, timeout=600)  # not ROOT: "" on sys.path would be the pure engine
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got.pop("compiled") is True  # the subprocess really ran the extensions
    for name, (path, over, max_time) in jobs.items():
        expected = _pure(path, over, max_time)
        assert sum(q["pairs_delivered"] for q in expected["requests"]) > 0, name
        assert got[name] == expected, name

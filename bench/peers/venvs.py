"""Private virtual environments for the peer simulators (bench layer, stdlib only).

SeQUeNCe 1.x needs Python >= 3.12 and SimQN installs on 3.11; neither is a dependency of the
project, so each gets its own venv under bench/peers/.venvs/ (git-ignored), created on first use.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VENVS = Path(__file__).resolve().parent / ".venvs"


@dataclass(frozen=True)
class Peer:
    key: str            # venv folder and tool id
    tool: str           # display name
    requirement: str    # pinned pip requirement
    dist: str           # distribution name for importlib.metadata
    min_python: tuple[int, int]
    max_python: tuple[int, int] | None
    script: str         # runner in bench/peers/
    env_var: str        # override: path of the interpreter to build the venv from


PEERS = {
    "sequence": Peer("sequence", "SeQUeNCe", "sequence==1.3.1", "sequence", (3, 12), None,
                     "peer_sequence.py", "PEER_PYTHON_SEQUENCE"),
    "simqn": Peer("simqn", "SimQN", "qns==0.2.3", "qns", (3, 11), (3, 11), "peer_simqn.py", "PEER_PYTHON_SIMQN"),
}


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _fits(peer: Peer, v: tuple[int, int] | None) -> bool:
    return v is not None and v >= peer.min_python and (peer.max_python is None or v <= peer.max_python)


def find_python(peer: Peer) -> str:
    """An interpreter for ``peer``: $PEER_PYTHON_*, then pythonX.Y on PATH, then pyenv's versions."""
    candidates: list[str] = []
    if os.environ.get(peer.env_var):
        candidates.append(os.environ[peer.env_var])
    if _fits(peer, sys.version_info[:2]):
        candidates.append(sys.executable)
    for minor in range(peer.min_python[1], (peer.max_python or (3, 14))[1] + 1):
        exe = shutil.which(f"python3.{minor}")
        if exe:
            candidates.append(exe)
        root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
        candidates += sorted(glob.glob(f"{root}/versions/3.{minor}.*/bin/python3.{minor}"), reverse=True)
    for exe in candidates:
        if _fits(peer, _version_of(exe)):
            return exe
    want = f"{peer.min_python[0]}.{peer.min_python[1]}" + ("" if peer.max_python else "+")
    raise SystemExit(f"{peer.tool} needs Python {want}; none found. Install one (e.g. `pyenv install 3.12`) "
                     f"or set {peer.env_var}=/path/to/python")


def venv_python(peer: Peer) -> Path:
    return VENVS / peer.key / "bin" / "python"


def ensure(peer: Peer, log=print) -> Path:
    """Create the venv and install the pinned package unless it is already there."""
    py = venv_python(peer)
    marker = VENVS / peer.key / ".installed"
    if py.exists() and marker.exists() and marker.read_text().strip() == peer.requirement:
        return py
    base = find_python(peer)
    log(f"[peers] creating {VENVS / peer.key} from {base} and installing {peer.requirement} (one time, minutes)")
    subprocess.run([base, "-m", "venv", "--clear", str(VENVS / peer.key)], check=True)
    pip_log = VENVS / f"{peer.key}-pip.log"
    with pip_log.open("w") as fh:
        done = subprocess.run([str(py), "-m", "pip", "install", peer.requirement], stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"pip install {peer.requirement} failed; see {pip_log}")
    marker.write_text(peer.requirement + "\n")
    return py

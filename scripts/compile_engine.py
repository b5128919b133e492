"""Build a compiled copy of the engine with mypyc: the same code, its hot modules as C extensions.

Usage: python scripts/compile_engine.py OUT_DIR

Copies ``qnp_engine/`` into OUT_DIR and compiles HOT_MODULES there; put OUT_DIR first on ``PYTHONPATH``
to run it (``PYTHONPATH=OUT_DIR qnp simulate ...``, ``bench/peers/run.py --engine OUT_DIR``). The installed
package is never touched, so an edited source can never sit beside a stale extension. Needs mypy (extras
``bench`` and ``test``) and a C compiler with the Python headers. ``tests/qnp_engine/test_compiled_engine.py``
checks that the compiled engine gives the pure one's results bit for bit.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The per-pair path: kernel, link layer, memories, end-node and repeater roles, measuring apparatus, message
# routing, closed-form states. (mypyc 2.4 mishandles a method aliased in a class body, `_f = f`: the
# class then fails at run time with a SystemError, so the engine has no such aliases.)
HOT_MODULES = (
    "qnp_engine/kernel/scheduler.py",
    "qnp_engine/link/link_layer.py",
    "qnp_engine/link/qubits.py",
    "qnp_engine/link/memory.py",
    "qnp_engine/network/intermediate.py",
    "qnp_engine/network/end_node.py",
    "qnp_engine/sim/collector.py",
    "qnp_engine/sim/build.py",
    "qnp_engine/backends/closed_form.py",
    "qnp_engine/physical/decoherence.py",
)
# mypyc compiles by mypy's types. The project does not type-check with mypy (ruff and the tests are its
# checks), so these mypy findings are not errors here; what a compiled module does is checked at run time
# by mypyc and against the pure engine by the test above.
_NOT_ERRORS = ("attr-defined", "union-attr", "misc", "arg-type", "index", "return-value", "assignment",
               "var-annotated")


def compile_engine(out: Path, source: Path = ROOT) -> Path:
    """Copy the engine (``source``/qnp_engine) into ``out`` and compile it there; returns ``out``. Raises
    ``CalledProcessError`` with mypyc's output if the build fails."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "qnp_engine"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source / "qnp_engine", target, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    flags = ["--ignore-missing-imports", *(f"--disable-error-code={code}" for code in _NOT_ERRORS)]
    subprocess.run([sys.executable, "-m", "mypyc", *flags, *HOT_MODULES], cwd=out, check=True,
                   capture_output=True, text=True)
    shutil.rmtree(out / "build", ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for the compiled copy (put it first on PYTHONPATH)")
    args = parser.parse_args()
    try:
        compile_engine(args.out.resolve())
    except subprocess.CalledProcessError as exc:
        print(f"compile_engine: mypyc failed:\n{exc.stdout}\n{exc.stderr}", file=sys.stderr)
        return 1
    print(args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())

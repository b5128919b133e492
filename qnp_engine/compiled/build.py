"""Build the compiled engine into the cache (``qnp compile``; ``python -m qnp_engine.compiled.build``).

The sources are copied first and the build is keyed by the copy's hash, so an edit made during a build gives a
build of what was copied, under that content's key. One build per key at a time (a lock file); a failed build
leaves a ``.failed`` note with mypyc's output, so that the app does not retry it on every start; the build is
assembled beside the cache and renamed into place with its manifest, so no reader sees half a build.

Needs mypy (its compiler mypyc), setuptools, a C compiler and the Python headers; without them the engine
simply stays pure Python.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from qnp_engine.compiled import (
    CACHE_ENV,
    HOT_MODULES,
    MANIFEST,
    MODE_ENV,
    SOURCE_ROOT,
    EngineBuild,
    cache_root,
    mode,
    read_manifest,
    ready_build,
    source_key,
    status,
)

# mypyc compiles by mypy's types. The project does not type-check with mypy (ruff and the tests are its
# checks), so these mypy findings are not errors here; what a compiled module does is checked at run time by
# mypyc and against the pure engine by tests/qnp_engine/test_compiled_engine.py.
_NOT_ERRORS = ("attr-defined", "union-attr", "misc", "arg-type", "index", "return-value", "assignment",
               "var-annotated")
KEEP_BUILDS = 4  # builds kept in the cache, newest first
LOCK_STALE_S = 900.0  # a lock older than this is from a build that died without cleaning up


class BuildError(RuntimeError):
    """The build could not run or failed; the message says why (mypyc's output included)."""


def toolchain_problem() -> str | None:
    """What is missing to build here, or None."""
    for module, package in (("mypyc", "mypy"), ("setuptools", "setuptools")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not any(shutil.which(c) for c in (cc, "cc", "gcc", "clang")):
        return "no C compiler (cc, gcc or clang) on PATH"
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        return f"no Python headers (Python.h) in {sysconfig.get_paths()['include']}"
    return None


def _take_lock(lock: Path) -> bool:
    """Create the lock file; False if another live build holds it."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text().split()[0])
                age = time.time() - lock.stat().st_mtime
            except (OSError, ValueError, IndexError):
                pid, age = 0, LOCK_STALE_S
            if age < LOCK_STALE_S and _alive(pid):
                return False
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {time.time():.0f}\n")
        return True
    return False


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _compile(work: Path) -> None:
    flags = ["--ignore-missing-imports", *(f"--disable-error-code={code}" for code in _NOT_ERRORS)]
    paths = [name.replace(".", "/") + ".py" for name in HOT_MODULES]
    # The copy in ``work`` must be the only engine mypy sees: with the original on PYTHONPATH it would analyse
    # that one too and report the rest of the engine's type findings as errors.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    proc = subprocess.run([sys.executable, "-m", "mypyc", *flags, *paths], cwd=work, capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip()
        last = next((line for line in reversed(out.splitlines()) if line.strip()), "no output")
        raise BuildError(f"mypyc failed: {last}\n{out}")


def _assemble(work: Path, staging: Path, source: Path) -> None:
    """Move the extensions out of the work tree into ``staging`` and write the manifest last."""
    modules: dict[str, str] = {}
    for name in HOT_MODULES:
        rel_dir = Path(*name.split(".")[:-1])
        found = sorted((work / rel_dir).glob(name.rsplit(".", 1)[1] + ".*.so"))
        if not found:
            raise BuildError(f"mypyc made no extension for {name}")
        (staging / rel_dir).mkdir(parents=True, exist_ok=True)
        shutil.move(str(found[0]), staging / rel_dir / found[0].name)
        modules[name] = (rel_dir / found[0].name).as_posix()
    for lib in sorted(work.glob("*__mypyc*.so")):  # the group's shared library, imported by the modules
        shutil.move(str(lib), staging / lib.name)
        modules[lib.name.split(".")[0]] = lib.name
    import mypy.version

    manifest = {"modules": modules, "source": str(source), "python": sys.version.split()[0],
                "mypy": mypy.version.__version__, "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def build(source: Path = SOURCE_ROOT, *, force: bool = False, held_lock: Path | None = None) -> EngineBuild:
    """Build the engine at ``source`` (a ``qnp_engine`` package directory) into the cache; returns the build.

    ``held_lock``: the lock the caller took for this build (:func:`start_background_build`). Raises
    :class:`BuildError` when the toolchain is missing, another build of the same sources is running, or mypyc
    fails (the reason is also noted in the cache for :func:`qnp_engine.compiled.status`)."""
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    except OSError as exc:
        raise BuildError(f"cannot write the engine cache {root} ({exc}); set {CACHE_ENV} to a writable "
                         "directory") from exc
    owns_lock = False
    lock: Path | None = None
    try:
        shutil.copytree(source, work / "qnp_engine", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        key = source_key(work / "qnp_engine")
        lock, target, failed = root / f"{key}.lock", root / key, root / f"{key}.failed"
        if held_lock is not None and held_lock != lock:  # the sources changed after the caller locked
            held_lock.unlink(missing_ok=True)
        owns_lock = held_lock == lock
        if read_manifest(target) is not None and not force:
            return ready_build(key, target)
        problem = toolchain_problem()
        if problem is not None:
            failed.write_text(f"{problem}\n", encoding="utf-8")
            raise BuildError(f"cannot build the compiled engine: {problem}")
        if owns_lock:
            lock.write_text(f"{os.getpid()} {time.time():.0f}\n")  # the caller's lock is this process's now
        elif _take_lock(lock):
            owns_lock = True
        else:
            raise BuildError(f"another process is building these sources ({lock})")
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.staging-", dir=root))
        try:
            _compile(work)
            _assemble(work, staging, source)
        except BuildError as exc:
            failed.write_text(f"{exc}\n", encoding="utf-8")
            shutil.rmtree(staging, ignore_errors=True)
            raise
        staging.chmod(0o755)  # mkdtemp makes it private; other users of a shared cache may read the build
        if target.exists():  # --force: replace it (processes running the old files keep them open)
            old = root / f"{key}.old-{os.getpid()}"
            target.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        staging.rename(target)
        failed.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # another build pruning at the same moment
            prune(root)
        return ready_build(key, target)
    finally:
        if owns_lock and lock is not None:
            lock.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def prune(root: Path, keep: int = KEEP_BUILDS) -> list[Path]:
    """Remove all but the ``keep`` newest builds (every edit of the engine makes a new one), and the work and
    staging directories of builds that died (older than a lock can be); returns what was removed. A process
    running a removed build keeps its open extension files."""
    builds = sorted((d for d in root.iterdir() if (d / MANIFEST).is_file()), key=lambda d: d.stat().st_mtime,
                    reverse=True)
    cutoff = time.time() - LOCK_STALE_S
    dead = [d for d in root.iterdir() if d.is_dir() and (d.name.startswith("build-") or ".staging-" in d.name)
            and d.stat().st_mtime < cutoff]
    for old in (*builds[keep:], *dead):
        shutil.rmtree(old, ignore_errors=True)
    return [*builds[keep:], *dead]


def start_background_build() -> subprocess.Popen | None:
    """Start a build in a low-priority background process when these sources have none and one could be made.

    What the app and the hub call as they start: the first runs go pure Python, later ones compiled. Nothing
    happens under ``QNP_ENGINE_COMPILED=off``/``require``, while a build runs, after a failed one (``qnp
    compile`` retries), without a toolchain (noted, so that the status says why) or where the cache cannot be
    written (a read-only home): never an error, the engine then simply stays pure Python."""
    if mode() != "auto":
        return None
    now = status()
    if now.state != "missing":
        return None
    try:
        root = cache_root()
        root.mkdir(parents=True, exist_ok=True)
        problem = toolchain_problem()
        if problem is not None:
            (root / f"{now.key}.failed").write_text(f"{problem}\n", encoding="utf-8")
            return None
        # Locked here, not in the child: a second manager starting a moment later must see the build under way.
        lock = root / f"{now.key}.lock"
        if not _take_lock(lock):
            return None
    except OSError:
        return None
    try:
        return subprocess.Popen([sys.executable, "-m", "qnp_engine.compiled.build", "--background",
                                 "--held-lock", str(lock)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=dict(os.environ, **{MODE_ENV: "off"}))
    except OSError:
        lock.unlink(missing_ok=True)
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild even if a build for these sources exists")
    ap.add_argument("--background", action="store_true", help="run at low priority, print nothing")
    ap.add_argument("--held-lock", type=Path, help=argparse.SUPPRESS)  # taken by start_background_build
    args = ap.parse_args(argv)
    if args.background:
        os.nice(10)
    try:
        result = build(force=args.force, held_lock=args.held_lock)
    except BuildError as exc:
        if not args.background:
            print(f"qnp compile: {exc}", file=sys.stderr)
        return 1
    if not args.background:
        print(result.reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())

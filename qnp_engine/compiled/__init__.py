"""The compiled engine: the same sources, their per-pair modules built as C extensions with mypyc.

A build lives in a cache directory keyed by a hash of every engine source file (and the interpreter's ABI), so
an edited source can never run beside a stale extension: the key no longer matches and the engine runs as pure
Python until the next build. :func:`activate` (called as the package is imported, before any engine module)
puts an import finder in front of ``sys.meta_path`` that loads the hot modules from a matching build; nothing
on ``sys.path`` changes and the installed sources stay untouched.

``QNP_ENGINE_COMPILED`` chooses: ``auto`` (default: use a matching build; the app and the hub start one in the
background when there is none), ``off`` (always pure Python), ``require`` (fail at import without a matching
build: for benchmarks and tests). ``QNP_ENGINE_CACHE`` moves the cache (default ``~/.cache/qnp-studio/engine``,
or under ``$XDG_CACHE_HOME``). Build with ``qnp compile`` (:mod:`qnp_engine.compiled.build`).

This module runs before the rest of the engine is imported, so it imports only the standard library.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

MODE_ENV = "QNP_ENGINE_COMPILED"
CACHE_ENV = "QNP_ENGINE_CACHE"
MODES = ("auto", "off", "require")
MANIFEST = "manifest.json"
SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the qnp_engine package being imported

# The per-pair path: kernel, link layer, memories, end-node and repeater roles, measuring apparatus, message
# routing, closed-form states. (mypyc 2.4 mishandles a method aliased in a class body, `_f = f`: the class
# then fails at run time with a SystemError, so the engine has no such aliases.)
HOT_MODULES = (
    "qnp_engine.kernel.scheduler",
    "qnp_engine.link.link_layer",
    "qnp_engine.link.qubits",
    "qnp_engine.link.memory",
    "qnp_engine.network.intermediate",
    "qnp_engine.network.end_node",
    "qnp_engine.sim.collector",
    "qnp_engine.sim.build",
    "qnp_engine.backends.closed_form",
    "qnp_engine.physical.decoherence",
)


class CompiledEngineError(ImportError):
    """``QNP_ENGINE_COMPILED=require`` and no usable build for these sources."""


@dataclass(frozen=True)
class EngineBuild:
    """The engine that a process importing these sources gets, and why."""

    state: str  # "ready" (a compiled build), "off", "building", "failed", "missing"
    reason: str  # one line for people
    key: str
    directory: Path

    @property
    def compiled(self) -> bool:
        return self.state == "ready"


def ready_build(key: str, directory: Path) -> EngineBuild:
    return EngineBuild("ready", f"compiled (mypyc), built in {directory}", key, directory)


def mode() -> str:
    value = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        warnings.warn(f"{MODE_ENV}={value!r} is not one of {', '.join(MODES)}; using 'auto'", stacklevel=2)
        return "auto"
    return value


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "qnp-studio" / "engine"
    try:
        return Path.home() / ".cache" / "qnp-studio" / "engine"
    except RuntimeError:  # no home directory (some containers): a per-machine temporary cache
        import tempfile

        return Path(tempfile.gettempdir()) / "qnp-studio-engine"


def source_key(source: Path = SOURCE_ROOT) -> str:
    """Hash of every ``.py`` file of the engine at ``source`` (names and bytes) and of the interpreter's ABI.

    Every source counts, not only the compiled ones: mypyc bakes in the types the hot modules see from the
    rest of the engine. About 3 ms for the whole engine."""
    h = hashlib.sha256()
    for path in sorted(source.rglob("*.py")):
        h.update(path.relative_to(source).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return f"{sys.implementation.cache_tag}-{hashlib.sha256(suffix.encode()).hexdigest()[:6]}-{h.hexdigest()[:24]}"


def read_manifest(directory: Path) -> dict[str, Path] | None:
    """Module name -> extension file of a complete build (None if there is none). The manifest is written
    last and the directory renamed into place, so a build in progress is never seen half-done."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = {name: directory / rel for name, rel in data["modules"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not set(HOT_MODULES) <= set(files) or not all(f.is_file() for f in files.values()):
        return None
    return files


class CompiledEngineFinder(importlib.abc.MetaPathFinder):
    """Loads the modules of one build from its extension files; every other import goes on as usual."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(self, fullname: str, path=None, target: ModuleType | None = None):
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def active_finder() -> CompiledEngineFinder | None:
    return next((f for f in sys.meta_path if isinstance(f, CompiledEngineFinder)), None)


def status() -> EngineBuild:
    """The engine a process importing these sources now gets: a ready build, or pure Python and why."""
    return _probe()[0]


def _probe() -> tuple[EngineBuild, dict[str, Path] | None]:
    """The status and, for a ready build, its files (read once: this runs at every import of the engine)."""
    key = source_key()
    root = cache_root()
    directory = root / key
    if mode() == "off":
        return EngineBuild("off", f"pure Python ({MODE_ENV}=off)", key, directory), None
    files = read_manifest(directory)
    if files is not None:
        return ready_build(key, directory), files
    if (root / f"{key}.lock").exists():
        return EngineBuild("building", "pure Python: the compiled engine is being built", key, directory), None
    failed = root / f"{key}.failed"
    if failed.exists():
        lines = failed.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        why = lines[0] if lines else "no output"
        return EngineBuild("failed", f"pure Python: the compiled engine could not be built ({why}; "
                                     "`qnp compile` retries)", key, directory), None
    return EngineBuild("missing", "pure Python: no compiled build for these sources yet (`qnp compile` builds "
                                  "one)", key, directory), None


def running_compiled() -> bool:
    """Does this process run the compiled engine?"""
    return active_finder() is not None


def activate() -> EngineBuild:
    """Install the finder for a build matching these sources, if there is one and the mode allows it."""
    found, files = _probe()
    if files is None or running_compiled():
        if mode() == "require" and files is None:
            raise CompiledEngineError(f"{MODE_ENV}=require but the engine runs {found.reason}")
        return found
    finder = CompiledEngineFinder(files)
    sys.meta_path.insert(0, finder)
    try:
        # The build's shared library (mypyc's group module) first: if it cannot load on this machine, fall
        # back to pure Python before any engine module has been imported from it.
        for name in files:
            if name not in HOT_MODULES:
                importlib.import_module(name)
    except ImportError as exc:
        sys.meta_path.remove(finder)
        why = f"the build in {found.directory} does not load ({exc})"
        if mode() == "require":
            raise CompiledEngineError(f"{MODE_ENV}=require but {why}") from exc
        warnings.warn(f"{why}; running pure Python", stacklevel=2)
        return EngineBuild("failed", f"pure Python: {why}", found.key, found.directory)
    return found

"""What the engine says about its compiled build, and when a background build starts (no compiler needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qnp_engine.compiled import CACHE_ENV, MODE_ENV, mode, source_key, status
from qnp_engine.compiled.build import BuildError, _take_lock, build, prune, start_background_build


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(MODE_ENV, "auto")
    return tmp_path


def test_status_names_each_state(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = source_key()
    assert status().state == "missing" and "`qnp compile` builds one" in status().reason
    (cache / f"{key}.failed").write_text("mypyc failed: something\nfull output\n")
    assert status().state == "failed" and "could not be built (mypyc failed: something;" in status().reason
    (cache / f"{key}.lock").write_text(f"{os.getpid()} 0\n")
    assert status().state == "building"
    monkeypatch.setenv(MODE_ENV, "off")
    assert status().state == "off" and status().reason == "pure Python (QNP_ENGINE_COMPILED=off)"
    # An incomplete build directory (no manifest) is not a build.
    monkeypatch.setenv(MODE_ENV, "auto")
    (cache / f"{key}.lock").unlink()
    (cache / f"{key}.failed").unlink()
    (cache / key / "qnp_engine").mkdir(parents=True)
    assert status().state == "missing"


def test_a_bad_mode_is_named_and_treated_as_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "fast")
    with pytest.warns(UserWarning, match="QNP_ENGINE_COMPILED='fast' is not one of auto, off, require"):
        assert mode() == "auto"


def test_the_key_follows_every_source_byte(tmp_path: Path) -> None:
    pkg = tmp_path / "qnp_engine"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    first = source_key(pkg)
    assert source_key(pkg) == first
    (pkg / "sub" / "b.py").write_text("y = 3\n")  # a non-hot module counts too: its types reach the hot ones
    assert source_key(pkg) != first
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    assert source_key(pkg) == first
    (pkg / "notes.txt").write_text("not a source")
    assert source_key(pkg) == first


def test_no_background_build_unless_auto_and_missing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("off", "require"):
        monkeypatch.setenv(MODE_ENV, value)
        assert start_background_build() is None
    monkeypatch.setenv(MODE_ENV, "auto")
    (cache / f"{source_key()}.failed").write_text("mypyc failed: x\n")
    assert start_background_build() is None  # a failed build is not retried on every start
    assert not list(cache.glob("build-*"))


def test_without_a_compiler_the_reason_is_noted_and_nothing_starts(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-bin")))
    monkeypatch.setattr("sysconfig.get_config_var", lambda name: "no-such-cc" if name == "CC" else None)
    assert start_background_build() is None
    now = status()
    assert now.state == "failed" and "no C compiler" in now.reason
    with pytest.raises(BuildError, match="cannot build the compiled engine: no C compiler"):
        build()


def test_one_build_per_key_at_a_time(tmp_path: Path) -> None:
    lock = tmp_path / "k.lock"
    assert _take_lock(lock)
    assert not _take_lock(lock)  # held by this live process
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock.write_text(f"{int(dead.stdout)} 0\n")  # left by a build that died
    assert _take_lock(lock)
    assert lock.read_text().split()[0] == str(os.getpid())


def test_the_cli_reports_the_status(cache: Path) -> None:
    env = dict(os.environ, **{CACHE_ENV: str(cache), MODE_ENV: "auto"})
    proc = subprocess.run([sys.executable, "-m", "qnp_engine", "compile", "--status"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "pure Python: no compiled build for these sources yet (`qnp compile` builds one)"


def test_only_the_newest_builds_are_kept(tmp_path: Path) -> None:
    for age in range(6):
        build_dir = tmp_path / f"key-{age}"
        build_dir.mkdir()
        (build_dir / "manifest.json").write_text("{}")
        os.utime(build_dir, (1_000_000 - age, 1_000_000 - age))  # key-0 is the newest
    (tmp_path / "key-9.failed").write_text("mypyc failed: x\n")
    for name, age_s in (("build-dead", 3600), ("key-7.staging-dead", 3600), ("build-running", 5)):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (time.time() - age_s, time.time() - age_s))
    removed = prune(tmp_path, keep=4)
    assert sorted(d.name for d in removed) == ["build-dead", "key-4", "key-5", "key-7.staging-dead"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build-running", "key-0", "key-1", "key-2", "key-3",
                                                          "key-9.failed"]


def test_an_unwritable_cache_leaves_the_engine_pure_without_an_error(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))  # mkdir fails: a file is in the way
    monkeypatch.setenv(MODE_ENV, "auto")
    assert start_background_build() is None
    assert status().state == "missing"
    with pytest.raises(BuildError, match="cannot write the engine cache .*; set QNP_ENGINE_CACHE to a writable"):
        build()

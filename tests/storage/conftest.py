"""Fixtures for the storage tests: a fresh SQLite file (WAL) per test, and scenario texts for real runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage import db
from storage.manager import RunManager


@pytest.fixture
def db_url(tmp_path) -> str:
    return db.sqlite_url(tmp_path / "runs.db")


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    eng = db.open_database(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def manager(engine) -> Iterator[RunManager]:
    mgr = RunManager(engine, max_concurrent=2, cancel_grace_s=5.0)
    yield mgr
    mgr.shutdown(stop_workers=True, timeout_s=10)

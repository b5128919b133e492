"""AppTest fixtures: a temporary run database per test and the app opened on a given page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pages.ui.services import Services, _services, shutdown_all
from storage.db import database_url

TIMEOUT_S = 60
APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at an empty database file; stop run managers and clear caches afterwards."""
    db = tmp_path / "studio.db"
    monkeypatch.setenv("QNP_STUDIO_DB", str(db))
    monkeypatch.delenv("QNP_STUDIO_DB_URL", raising=False)
    # No spare worker per test database (each costs an interpreter start); tests/storage and the browser tests
    # cover it.
    monkeypatch.setenv("QNP_STUDIO_STANDBY_WORKER", "0")
    st.cache_data.clear()
    yield db
    shutdown_all()
    st.cache_data.clear()


@pytest.fixture
def open_page(app_db: Path) -> Callable[[str], AppTest]:
    def _open(page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        assert not at.exception, at.exception
        return at

    return _open


@pytest.fixture
def svc(app_db: Path) -> Services:
    """The same storage services the app under test uses (same URL, same cached instance)."""
    return _services(database_url())

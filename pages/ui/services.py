"""The app's handles on the storage layer: one database engine and one run manager per server process.

UI layer. Both live in ``st.cache_resource`` keyed by the database URL (``QNP_STUDIO_DB_URL`` /
``QNP_STUDIO_DB`` / ``./qnp_studio.db``), so tests that point the environment at a temporary file
get their own. Pages reach runs only through here; they never import ``qnp_engine.sim``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from storage.db import database_url, open_database
from storage.manager import RunManager, standby_from_env


@dataclass(frozen=True)
class Services:
    engine: Engine
    manager: RunManager
    url: str


_STARTED: list[Services] = []  # every manager this process started, so tests can stop their tickers


@st.cache_resource(show_spinner=False)
def _services(url: str) -> Services:
    engine = open_database(url)
    # Fails runs left "running" by a worker that died with a previous server; keeps a spare worker with the
    # engine already imported, so that a launched run shows its first samples without an interpreter start.
    manager = RunManager(engine, standby=standby_from_env())
    manager.start_background(interval_s=0.5)  # queued runs start even when no page is polling
    svc = Services(engine, manager, url)
    _STARTED.append(svc)
    return svc


def shutdown_all(stop_workers: bool = True) -> None:
    """Stop every run manager's ticker (and its workers) and forget the cached services (tests, clean exit)."""
    while _STARTED:
        svc = _STARTED.pop()
        svc.manager.shutdown(stop_workers=stop_workers)
        svc.engine.dispose()
    _services.clear()


def services() -> Services | None:
    """The storage services, or None after showing why the database cannot be opened."""
    url = database_url()
    try:
        return _services(url)
    except Exception as exc:  # noqa: BLE001 - any failure to open the DB becomes one clear message
        st.error(f"The run database at `{url}` cannot be opened: {exc}. Set `QNP_STUDIO_DB` to a writable "
                 "file path and restart.", icon="🛑")
        return None


def sidebar_status() -> None:
    """The database in use and the runs in flight; also starts the run manager whatever page opens first."""
    svc = services()
    if svc is None:
        return
    from storage.models import ACTIVE_STATUSES
    from storage.runs import list_runs

    active = list_runs(svc.engine, status=list(ACTIVE_STATUSES), limit=50)
    where = svc.url.removeprefix("sqlite:///")
    st.caption(f"🗄️ `{where}`")
    if active:
        st.caption("🔄 " + ", ".join(f"run {r.id} {r.status}" for r in active[:5]))

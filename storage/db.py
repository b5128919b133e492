"""Database engine factory and schema upgrade.

Storage layer. Where the database lives, in order:

1. ``QNP_STUDIO_DB_URL``: any SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) for a server database;
2. ``QNP_STUDIO_DB``: path of a SQLite file;
3. ``./qnp_studio.db``.

Every SQLite connection gets WAL, ``synchronous=NORMAL``, a busy timeout and foreign keys, so that worker
processes can write while the app reads without "database is locked". Make one engine per process (in the app:
inside ``st.cache_resource``; in a worker: a fresh one) and never hand an engine to a child process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = "QNP_STUDIO_DB_URL"
ENV_PATH = "QNP_STUDIO_DB"
DEFAULT_PATH = "qnp_studio.db"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else the environment, else ``./qnp_studio.db``."""
    if url:
        return url
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    path = Path(os.environ.get(ENV_PATH) or DEFAULT_PATH).expanduser().resolve()
    return f"sqlite:///{path}"


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def _on_sqlite_connect(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        # busy_timeout first: switching to WAL needs a lock that another process may hold for a moment.
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed transaction
        cur.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE from runs to samples and artefacts
    finally:
        cur.close()


def create_db_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """A SQLAlchemy engine for ``url`` (see :func:`database_url`), configured for concurrent use."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() != "sqlite":
        return create_engine(resolved, echo=echo, pool_pre_ping=True)
    database = resolved.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        resolved, echo=echo,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration kept inside the package (no ``alembic.ini`` needed)."""
    from alembic.config import Config  # imported here: worker processes never migrate and skip its import time

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in place (batch mode on SQLite); a no-op when already there."""
    from alembic import command

    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, action: Callable[[Config], None]) -> None:
    cfg = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename). With foreign keys on, dropping ``run``
            # would cascade-delete every sample, so they are off during migrations and checked afterwards,
            # as SQLite's ALTER TABLE documentation prescribes. The pragma only works outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            action(cfg)
            conn.commit()
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"schema migration left {len(broken)} rows with dangling foreign keys")
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_database(url: str | None = None, *, migrate: bool = True) -> Engine:
    """Engine for the configured database, upgraded to the latest schema. Call once per process."""
    engine = create_db_engine(url)
    if migrate:
        upgrade(engine)
    return engine


def session(engine: Engine) -> Session:
    # expire_on_commit=False: rows returned by the query helpers stay readable after their session closes.
    return Session(engine, expire_on_commit=False)

"""SQLModel tables for run history: saved topologies, runs, metric samples, artefacts.

Storage layer, bottom module: imports nothing of the engine. The tables must stay in step with the
alembic migrations in ``storage/migrations/versions`` (a test compares them).

Times are aware UTC ``datetime`` values (SQLModel's ``UTCDateTime`` stores them in UTC and gives them back in UTC,
also on SQLite, which has no time zones); every writer uses :func:`utcnow`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class RunKind(str, Enum):
    ENTANGLEMENT = "entanglement"
    QNN = "qnn"


class RunStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


class SavedTopology(SQLModel, table=True):
    """A named scenario YAML; ``version`` goes up by one on every save under the same name."""

    __tablename__ = "saved_topology"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    yaml: str = Field(sa_column=Column(Text, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One entanglement simulation or QNN training, from submission to its final status."""

    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)  # RunKind value
    status: str = Field(default=RunStatus.QUEUED.value, max_length=20, index=True)  # RunStatus value
    name: str = Field(default="", max_length=200, index=True)  # scenario name or QNN config name
    label: str = Field(default="", max_length=200)  # free user label (schema 0002)
    engine: str | None = Field(default=None, max_length=40)
    seed: int | None = None
    # Exactly what was submitted: scenario YAML for entanglement runs, config JSON for QNN runs.
    spec: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: float = 0.0
    last_step: int = -1  # highest sample step committed so far (-1: none)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Worker bookkeeping (schema 0002): who runs it and whether it is still alive.
    worker_pid: int | None = None
    worker_host: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False


class MetricSample(SQLModel, table=True):
    """One number of one live snapshot: (run, step, sim time, entity, metric) -> value.

    The primary key (run_id, step, entity, metric) clusters a run's rows by step in a WITHOUT ROWID table on
    SQLite: one B-tree to update per row (writes stay cheap next to the simulation), ``max(step)`` and
    "rows of one step" are key lookups, and a slice can never be stored twice.
    """

    __tablename__ = "metric_sample"
    __table_args__ = {"sqlite_with_rowid": False}

    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    )
    step: int = Field(primary_key=True)
    entity: str = Field(max_length=100, primary_key=True)  # "link:A-R", "node:R", "request:ab", "qnn"
    metric: str = Field(max_length=100, primary_key=True)
    sim_time_s: float
    value: float


class Artefact(SQLModel, table=True):
    """A file belonging to a run: the result JSON, a traceback, an exported file."""

    __tablename__ = "artefact"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(max_length=200)
    media_type: str = Field(default="application/octet-stream", max_length=100)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)

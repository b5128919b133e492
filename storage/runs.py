"""Runs: submit (queue), look up, list and filter, cancel, delete, artefacts.

Storage layer. Submitting only stores a ``queued`` row; :class:`storage.manager.RunManager` starts the worker.
A submitted scenario is stored exactly as given, even when it is invalid: the worker then ends the run
``failed`` with the validation errors, so every failure is visible in the run history the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Engine, update
from sqlmodel import col, select

from qnp_engine.model import Scenario, ScenarioError, dump_scenario, load_scenario
from storage.db import session
from storage.errors import InvalidRunRequest, RunNotFound, StorageError
from storage.models import ACTIVE_STATUSES, Artefact, Run, RunKind, RunStatus, utcnow


def _peek_name(yaml_text: str) -> str:
    """The ``name:`` of a scenario text that may be invalid (for the run list only)."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return ""
    return str(data.get("name", ""))[:200] if isinstance(data, dict) else ""


def submit_entanglement(
    engine: Engine, scenario: str | Scenario, *, engine_name: str | None = None, seed: int | None = None,
    label: str = "",
) -> Run:
    """Queue a simulation. ``engine_name`` / ``seed`` override the scenario's own settings when given."""
    if isinstance(scenario, Scenario):
        spec, parsed = dump_scenario(scenario), scenario
    else:
        spec = scenario
        try:
            parsed = load_scenario(spec)
        except ScenarioError:
            parsed = None  # stored as submitted; the worker fails the run with the field errors
    if parsed is not None:
        name = parsed.name
        engine_name = engine_name or parsed.simulation.engine
        seed = parsed.simulation.seed if seed is None else seed
    else:
        name = _peek_name(spec)
    run = Run(kind=RunKind.ENTANGLEMENT.value, name=name, label=label, engine=engine_name, seed=seed, spec=spec)
    return _insert(engine, run)


def submit_qnn(engine: Engine, config: Mapping[str, Any] | str, *, label: str = "") -> Run:
    """Queue a QNN training; ``config`` is the mapping (or its JSON text) that ``qnp_engine.qnn.train`` takes.

    Like a scenario, a config that fails validation is stored as submitted and its run fails with the field
    errors. A relative ``distributed.topology`` path would be resolved in the worker's folder: submit absolute
    paths or an inline ``distributed.scenario``.
    """
    if isinstance(config, str):
        try:
            data = json.loads(config)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise InvalidRunRequest(f"config: not valid JSON ({where}: {exc.msg})") from None
    else:
        data = dict(config)
    if not isinstance(data, dict):
        raise InvalidRunRequest("config: must be a JSON object of training settings")
    try:
        spec = json.dumps(data, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidRunRequest(f"config: cannot be stored as JSON ({exc})") from None
    name, engine_name, seed = _qnn_identity(data)
    run = Run(
        kind=RunKind.QNN.value, name=name[:200], label=label, engine=str(engine_name)[:40] if engine_name else None,
        seed=seed if isinstance(seed, int) else None, spec=spec,
    )
    return _insert(engine, run)


def _qnn_identity(data: dict[str, Any]) -> tuple[str, Any, Any]:
    """(name, engine, seed) the trainer will use, defaults included, for the run list; raw values if invalid."""
    raw = (str(data.get("name", "qnn")), data.get("engine"), data.get("seed"))
    try:
        from qnp_engine.qnn import QnnConfigError, parse_config  # here: the QNN stack takes a second to import
    except ImportError:
        return raw
    try:
        parsed = parse_config(data)
    except QnnConfigError:
        return raw
    return parsed.name, parsed.engine.value, parsed.seed


def _insert(engine: Engine, run: Run) -> Run:
    with session(engine) as s:
        s.add(run)
        s.commit()
        s.refresh(run)
        return run


def get_run(engine: Engine, run_id: int) -> Run:
    with session(engine) as s:
        run = s.get(Run, run_id)
    if run is None:
        raise RunNotFound(run_id)
    return run


def list_runs(
    engine: Engine, *, kind: str | None = None, status: str | Iterable[str] | None = None, name: str | None = None,
    since: datetime | None = None, limit: int = 100, offset: int = 0,
) -> list[Run]:
    """Newest first. ``name`` matches a part of the run name or label; ``status`` one value or several."""
    query = select(Run)
    if kind:
        query = query.where(Run.kind == kind)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        query = query.where(col(Run.status).in_(statuses))
    if name:
        pattern = f"%{name}%"
        query = query.where(col(Run.name).like(pattern) | col(Run.label).like(pattern))
    if since is not None:
        query = query.where(Run.created_at >= since)
    query = query.order_by(col(Run.id).desc()).offset(offset).limit(limit)
    with session(engine) as s:
        return list(s.exec(query).all())


def request_cancel(engine: Engine, run_id: int) -> Run:
    """A queued run is cancelled at once; a running one is flagged and its worker stops after the current slice."""
    now = utcnow()
    with session(engine) as s:
        s.exec(  # type: ignore[call-overload]
            update(Run).where(col(Run.id) == run_id, col(Run.status) == RunStatus.QUEUED.value)
            .values(status=RunStatus.CANCELLED.value, finished_at=now, cancel_requested=True,
                    error="cancelled before it started")
        )
        s.exec(  # type: ignore[call-overload]
            update(Run).where(col(Run.id) == run_id, col(Run.status) == RunStatus.RUNNING.value)
            .values(cancel_requested=True)
        )
        s.commit()
    return get_run(engine, run_id)


def delete_run(engine: Engine, run_id: int) -> None:
    """Delete a finished run with its samples and artefacts (ON DELETE CASCADE)."""
    with session(engine) as s:
        run = s.get(Run, run_id)
        if run is None:
            raise RunNotFound(run_id)
        if run.status in ACTIVE_STATUSES:
            raise StorageError(f"run {run_id} is {run.status}; cancel it and wait until it stops before deleting it")
        s.delete(run)
        s.commit()


def add_artefact(engine: Engine, run_id: int, name: str, content: bytes | str, media_type: str) -> Artefact:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with session(engine) as s:
        if s.get(Run, run_id) is None:
            raise RunNotFound(run_id)
        art = Artefact(run_id=run_id, name=name, media_type=media_type, content=data)
        s.add(art)
        s.commit()
        s.refresh(art)
        return art


def list_artefacts(engine: Engine, run_id: int) -> list[Artefact]:
    get_run(engine, run_id)
    with session(engine) as s:
        return list(s.exec(select(Artefact).where(Artefact.run_id == run_id).order_by(col(Artefact.id))).all())


def get_artefact(engine: Engine, run_id: int, name: str) -> Artefact:
    for art in reversed(list_artefacts(engine, run_id)):
        if art.name == name:
            return art
    raise StorageError(f"run {run_id} has no artefact named {name!r}")

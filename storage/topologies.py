"""Saved topologies: named scenario YAML with a version number that goes up on every save.

Storage layer. Saving validates the YAML with the engine's model (unless told not to, e.g. for drafts), and
an optional ``expected_version`` turns two editors saving the same name into a clear conflict instead of a
silent overwrite. A stored text that no longer loads raises :class:`StoredTopologyInvalid` for that topology
only; everything else stays readable.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qnp_engine.model import Scenario, ScenarioError, load_scenario
from storage.db import session
from storage.errors import StoredTopologyInvalid, TopologyNotFound, VersionConflict
from storage.models import SavedTopology, utcnow


def save_topology(
    engine: Engine, name: str, yaml_text: str, *, expected_version: int | None = None, validate: bool = True
) -> SavedTopology:
    """Create ``name`` (version 1) or replace its YAML (version + 1). Raises ``ScenarioError`` if invalid."""
    name = name.strip()
    if not name:
        raise ValueError("name: a saved topology needs a non-empty name")
    if validate:
        load_scenario(yaml_text)
    for _attempt in range(2):  # a concurrent first save of the same name makes the insert fail once
        with session(engine) as s:
            row = s.exec(select(SavedTopology).where(SavedTopology.name == name)).first()
            if row is None:
                if expected_version not in (None, 0):
                    raise VersionConflict(name, expected_version, 0)
                row = SavedTopology(name=name, yaml=yaml_text)
            else:
                if expected_version is not None and expected_version != row.version:
                    raise VersionConflict(name, expected_version, row.version)
                row.yaml, row.version, row.updated_at = yaml_text, row.version + 1, utcnow()
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                continue
            s.refresh(row)
            return row
    raise VersionConflict(name, expected_version or 0, 1)


def list_topologies(engine: Engine) -> list[SavedTopology]:
    with session(engine) as s:
        return list(s.exec(select(SavedTopology).order_by(SavedTopology.name)).all())


def get_topology(engine: Engine, name: str) -> SavedTopology:
    with session(engine) as s:
        row = s.exec(select(SavedTopology).where(SavedTopology.name == name)).first()
    if row is None:
        raise TopologyNotFound(name)
    return row


def load_topology(engine: Engine, name: str) -> Scenario:
    """The saved topology as a validated ``Scenario``; raises ``StoredTopologyInvalid`` naming the problems."""
    row = get_topology(engine, name)
    try:
        return load_scenario(row.yaml)
    except ScenarioError as exc:
        raise StoredTopologyInvalid(row.name, row.version, [str(e) for e in exc.errors]) from None


def delete_topology(engine: Engine, name: str) -> None:
    with session(engine) as s:
        row = s.exec(select(SavedTopology).where(SavedTopology.name == name)).first()
        if row is None:
            raise TopologyNotFound(name)
        s.delete(row)
        s.commit()

"""The hub's own tables, in the same database as ``storage`` but in a separate SQLModel registry.

Hub layer. ``storage`` keeps its schema in alembic migrations; these tables are created with
``create_all`` on start-up (idempotent) and never touch storage's metadata, so storage's
model-vs-migration check is unaffected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Engine, Index, LargeBinary, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class HubBase(SQLModel, registry=registry()):
    pass


class ApiToken(HubBase, table=True):
    """A bearer token; only its SHA-256 is stored (the token itself is shown once, at creation)."""

    __tablename__ = "hub_api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)  # first characters, to tell tokens apart in listings
    rate_limit_per_s: float | None = None  # None: the hub's default
    revoked: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class KeyBlock(HubBase, table=True):
    """Distilled secret key of one node pair, handed out front to back (``used`` bytes are gone)."""

    __tablename__ = "hub_key_block"

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(max_length=200, index=True)  # "A|B", names sorted
    material: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    used: int = 0
    source: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class IssuedKey(HubBase, table=True):
    """A key handed to a master SAE and waiting for its slave(s); deleted when the slave fetches it."""

    __tablename__ = "hub_issued_key"
    __table_args__ = (Index("ix_hub_issued_key_master", "master"),)

    key_id: str = Field(primary_key=True, max_length=36)
    pair: str = Field(max_length=200)
    master: str = Field(max_length=200)
    slaves: list[str] = Field(sa_column=Column(JSON, nullable=False))
    material: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ConsumedKey(HubBase, table=True):
    """Tombstone of a delivered (or expired) key: the ID is never served again, the material is gone."""

    __tablename__ = "hub_consumed_key"

    key_id: str = Field(primary_key=True, max_length=36)
    pair: str = Field(max_length=200)
    reason: str = Field(default="delivered", max_length=40)
    at: datetime = Field(default_factory=utcnow)


class PairAuthKey(HubBase, table=True):
    """Pre-shared Wegman-Carter key of a node pair for the QKD classical channel (refilled each session)."""

    __tablename__ = "hub_pair_auth_key"

    pair: str = Field(primary_key=True, max_length=200)
    material: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class QkdSession(HubBase, table=True):
    """One BBM92 distillation: which run and request fed it and what it produced (figures, no key)."""

    __tablename__ = "hub_qkd_session"

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(max_length=200, index=True)
    run_id: int | None = None
    request: str = Field(default="", max_length=64)
    fingerprint: str = Field(default="", max_length=64, index=True)  # sha256 of (engine, seed, scenario)
    report: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Envelope(HubBase, table=True):
    """A sealed agent message waiting in the recipient's mailbox (the hub cannot read it)."""

    __tablename__ = "hub_envelope"
    __table_args__ = (Index("ix_hub_envelope_recipient", "recipient", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=200)
    recipient: str = Field(max_length=200)
    envelope: str = Field(sa_column=Column(Text, nullable=False))  # JSON of crypto.Envelope
    created_at: datetime = Field(default_factory=utcnow)


class Transfer(HubBase, table=True):
    """A chunked dataset transfer: the manifest lists each sealed chunk's SHA-256."""

    __tablename__ = "hub_transfer"

    id: str = Field(primary_key=True, max_length=36)
    sender: str = Field(max_length=200)
    recipient: str = Field(max_length=200)
    name: str = Field(max_length=300)
    chunk_hashes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class TransferChunk(HubBase, table=True):
    __tablename__ = "hub_transfer_chunk"

    transfer_id: str = Field(primary_key=True, max_length=36)
    index: int = Field(primary_key=True)
    envelope: str = Field(sa_column=Column(Text, nullable=False))


def create_hub_tables(engine: Engine) -> None:
    HubBase.metadata.create_all(engine)

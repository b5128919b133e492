"""Secure agent messages and chunked, resumable dataset transfers between SAEs (the hub relays sealed data).

Hub layer. Callers are SAEs identified like on the 014 API (client certificate). The hub stores envelopes it
cannot open (``crypto.py``); it checks that the header's ``from`` is the caller and ``to`` the addressee, and,
for transfers, that every uploaded chunk matches the SHA-256 the manifest announced. Resuming = asking the
transfer which chunks are missing and uploading only those; a repeated upload of the same chunk is a no-op.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import col, select

from hub.context import HubContext, get_ctx
from hub.crypto import Envelope, EnvelopeError
from hub.identity import sae_identity
from hub.security import limit_sae
from hub.tables import Envelope as EnvelopeRow
from hub.tables import Transfer, TransferChunk

router = APIRouter(prefix="/api/v1", tags=["secure messages"])
Ctx = Annotated[HubContext, Depends(get_ctx)]
MAX_CHUNKS = 100_000
SHA256_HEX = r"^[0-9a-f]{64}$"
MAX_ID = 2**63 - 1  # SQLite INTEGER
ChunkIndex = Annotated[int, Path(ge=0, le=MAX_CHUNKS, description="chunk number, from 0")]


def caller(request: Request, ctx: Ctx) -> str:
    sae = sae_identity(request, ctx.settings.allow_header_identity, ctx.settings.identity_header)
    if not sae:
        raise HTTPException(401, "client authentication failed: present a client certificate whose CN is your SAE ID")
    limit_sae(ctx, sae)
    return sae


Caller = Annotated[str, Depends(caller)]


class EnvelopeModel(BaseModel):
    header: dict[str, Any]
    ciphertext: str = Field(max_length=4 << 20)
    tag: str = Field(default="", max_length=64)


class MessageIn(BaseModel):
    to: str = Field(min_length=1, max_length=200)
    envelope: EnvelopeModel


class MessageOut(BaseModel):
    id: int
    sender: str
    created_at: str
    envelope: EnvelopeModel


class TransferIn(BaseModel):
    to: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=300)
    chunk_hashes: list[Annotated[str, Field(pattern=SHA256_HEX)]] = Field(min_length=1, max_length=MAX_CHUNKS)


class TransferState(BaseModel):
    id: str
    sender: str
    recipient: str
    name: str
    chunks: int
    received: list[int]
    missing: list[int]
    complete: bool
    chunk_hashes: list[str]


def _check_envelope(body: EnvelopeModel, sender: str, recipient: str) -> Envelope:
    try:
        env = Envelope.from_dict(body.model_dump())
        env.ciphertext_sha256  # noqa: B018 - validates the base64
    except EnvelopeError as exc:
        raise HTTPException(422, f"envelope: {exc}") from None
    if env.header.get("from") != sender:
        raise HTTPException(422, f"envelope.header.from: must be your SAE ID {sender!r}")
    if env.header.get("to") != recipient:
        raise HTTPException(422, f"envelope.header.to: must be the addressee {recipient!r}")
    return env


@router.post("/messages", status_code=201, operation_id="send_message")
def send_message(body: MessageIn, sae: Caller, ctx: Ctx) -> dict[str, int]:
    """Drop a sealed envelope into the addressee's mailbox."""
    env = _check_envelope(body.envelope, sae, body.to)
    with ctx.session() as s:
        row = EnvelopeRow(sender=sae, recipient=body.to, envelope=json.dumps(env.to_dict()))
        s.add(row)
        s.commit()
        s.refresh(row)
    return {"id": int(row.id or 0)}


@router.get("/messages", response_model=list[MessageOut], operation_id="list_messages")
def list_messages(sae: Caller, ctx: Ctx, after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Envelopes addressed to the caller with id > ``after`` (delete them once read)."""
    with ctx.session() as s:
        rows = s.exec(select(EnvelopeRow).where(EnvelopeRow.recipient == sae, col(EnvelopeRow.id) > after)
                      .order_by(col(EnvelopeRow.id)).limit(limit)).all()
    return [{"id": r.id, "sender": r.sender, "created_at": r.created_at.isoformat(timespec="seconds"),
             "envelope": json.loads(r.envelope)} for r in rows]


@router.delete("/messages/{message_id}", status_code=204, operation_id="delete_message")
def delete_message(message_id: Annotated[int, Path(ge=1, le=MAX_ID)], sae: Caller, ctx: Ctx) -> Response:
    with ctx.session() as s:
        row = s.get(EnvelopeRow, message_id)
        if row is None or row.recipient != sae:
            raise HTTPException(404, f"message {message_id} not found in your mailbox")
        s.delete(row)
        s.commit()
    return Response(status_code=204)


def _transfer(ctx: HubContext, transfer_id: str, sae: str) -> tuple[Transfer, list[int]]:
    with ctx.session() as s:
        t = s.get(Transfer, transfer_id)
        if t is None or sae not in (t.sender, t.recipient):
            raise HTTPException(404, f"transfer {transfer_id} not found")
        got = list(s.exec(select(TransferChunk.index).where(TransferChunk.transfer_id == transfer_id)
                          .order_by(col(TransferChunk.index))).all())
    return t, got


def _state(t: Transfer, got: list[int]) -> dict[str, Any]:
    have = set(got)
    return {"id": t.id, "sender": t.sender, "recipient": t.recipient, "name": t.name, "chunks": len(t.chunk_hashes),
            "received": got, "missing": [i for i in range(len(t.chunk_hashes)) if i not in have],
            "complete": len(have) == len(t.chunk_hashes), "chunk_hashes": t.chunk_hashes}


@router.post("/transfers", response_model=TransferState, status_code=201, operation_id="create_transfer")
def create_transfer(body: TransferIn, sae: Caller, ctx: Ctx) -> dict[str, Any]:
    """Announce a dataset: its name and the SHA-256 of each sealed chunk, in order."""
    t = Transfer(id=str(uuid.uuid4()), sender=sae, recipient=body.to, name=body.name, chunk_hashes=body.chunk_hashes)
    with ctx.session() as s:
        s.add(t)
        s.commit()
    return _state(t, [])


@router.get("/transfers", response_model=list[TransferState], operation_id="list_transfers")
def list_transfers(sae: Caller, ctx: Ctx,
                   role: Annotated[Literal["incoming", "outgoing"], Query()] = "incoming") -> list[dict[str, Any]]:
    column = Transfer.recipient if role == "incoming" else Transfer.sender
    with ctx.session() as s:
        ids = list(s.exec(select(Transfer.id).where(column == sae).order_by(col(Transfer.created_at))).all())
    return [_state(*_transfer(ctx, i, sae)) for i in ids]


@router.get("/transfers/{transfer_id}", response_model=TransferState, operation_id="get_transfer")
def get_transfer(transfer_id: str, sae: Caller, ctx: Ctx) -> dict[str, Any]:
    """Which chunks arrived and which are missing (resume by uploading the missing ones)."""
    return _state(*_transfer(ctx, transfer_id, sae))


@router.put("/transfers/{transfer_id}/chunks/{index}", status_code=204, operation_id="put_chunk")
def put_chunk(transfer_id: str, index: ChunkIndex, body: EnvelopeModel, sae: Caller, ctx: Ctx) -> Response:
    t, got = _transfer(ctx, transfer_id, sae)
    if sae != t.sender:
        raise HTTPException(403, "only the sender of a transfer uploads its chunks")
    if not 0 <= index < len(t.chunk_hashes):
        raise HTTPException(422, f"index: must be between 0 and {len(t.chunk_hashes) - 1}")
    env = _check_envelope(body, sae, t.recipient)
    if env.ciphertext_sha256 != t.chunk_hashes[index]:
        raise HTTPException(422, f"chunk {index}: SHA-256 of the sealed chunk does not match the manifest")
    if index not in got:
        with ctx.session() as s:
            s.add(TransferChunk(transfer_id=transfer_id, index=index, envelope=json.dumps(env.to_dict())))
            s.commit()
    return Response(status_code=204)


@router.get("/transfers/{transfer_id}/chunks/{index}", response_model=EnvelopeModel, operation_id="get_chunk")
def get_chunk(transfer_id: str, index: ChunkIndex, sae: Caller, ctx: Ctx) -> dict[str, Any]:
    _transfer(ctx, transfer_id, sae)
    with ctx.session() as s:
        row = s.get(TransferChunk, (transfer_id, index))
    if row is None:
        raise HTTPException(404, f"chunk {index} of transfer {transfer_id} has not been uploaded")
    return json.loads(row.envelope)


@router.delete("/transfers/{transfer_id}", status_code=204, operation_id="delete_transfer")
def delete_transfer(transfer_id: str, sae: Caller, ctx: Ctx) -> Response:
    _transfer(ctx, transfer_id, sae)
    with ctx.session() as s:
        for row in s.exec(select(TransferChunk).where(TransferChunk.transfer_id == transfer_id)).all():
            s.delete(row)
        t = s.get(Transfer, transfer_id)
        if t is not None:
            s.delete(t)
        s.commit()
    return Response(status_code=204)

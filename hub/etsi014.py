"""ETSI GS QKD 014 V1.1.1 key delivery API (the hub acts as the KME of every end node).

Hub layer. Routes (section 5 of the spec): ``GET /api/v1/keys/{slave_SAE_ID}/status``,
``GET|POST /api/v1/keys/{slave_SAE_ID}/enc_keys`` (called by the master SAE),
``GET|POST /api/v1/keys/{master_SAE_ID}/dec_keys`` (called by the slave SAE). The caller's SAE ID comes from
its TLS client certificate (``identity.py``), never from the request. Errors are the spec's ``Error`` object
``{"message", "details"}`` with 400 (bad request, unknown or already delivered key_ID), 401 (no client
identity) or 503 (key pool exhausted: fewer keys stored than requested; retry later).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from hub.context import HubContext, get_ctx
from hub.identity import sae_identity
from hub.keystore import Key, KeyStoreError

PREFIX = "/api/v1/keys"


class EtsiError(Exception):
    def __init__(self, status: int, message: str, details: list[dict] | None = None):
        self.status, self.message, self.details = status, message, details or []


def etsi_error_response(status: int, message: str, details: list[dict] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


# -- data formats (section 6) ------------------------------------------------------------------------------
class Status(BaseModel):
    source_KME_ID: str
    target_KME_ID: str
    master_SAE_ID: str
    slave_SAE_ID: str
    key_size: int
    stored_key_count: int
    max_key_count: int
    max_key_per_request: int
    max_key_size: int
    min_key_size: int
    max_SAE_ID_count: int
    status_extension: dict[str, Any] | None = None


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    number: StrictInt | None = None
    size: StrictInt | None = None
    additional_slave_SAE_IDs: list[str] | None = None
    extension_mandatory: list[dict[str, Any]] | None = None
    extension_optional: list[dict[str, Any]] | None = None


class KeyItem(BaseModel):
    key_ID: str
    key: str
    key_ID_extension: dict[str, Any] | None = None
    key_extension: dict[str, Any] | None = None


class KeyContainer(BaseModel):
    keys: list[KeyItem]
    key_container_extension: dict[str, Any] | None = None


class KeyIDItem(BaseModel):
    key_ID: str = Field(max_length=64)
    key_ID_extension: dict[str, Any] | None = None


class KeyIDs(BaseModel):
    key_IDs: list[KeyIDItem] = Field(min_length=1, max_length=1024)
    key_IDs_extension: dict[str, Any] | None = None


class Error(BaseModel):
    message: str
    details: list[dict[str, Any]] | None = None


ERRORS = {
    400: {"model": Error, "description": "Bad request format, or a key_ID that cannot be delivered"},
    401: {"model": Error, "description": "Unauthorized: no valid client certificate"},
    503: {"model": Error, "description": "Error on the server side, e.g. not enough key stored"},
}

router = APIRouter(prefix=PREFIX, tags=["ETSI GS QKD 014"], responses=ERRORS)


def caller_sae(request: Request, ctx: Annotated[HubContext, Depends(get_ctx)]) -> str:
    sae = sae_identity(request, ctx.settings.allow_header_identity, ctx.settings.identity_header)
    if not sae:
        raise EtsiError(401, "client authentication failed: present a client certificate whose CN is your SAE ID")
    wait = ctx.extras["limiter"].acquire(f"sae:{sae}")
    if wait > 0:
        raise EtsiError(503, f"rate limit exceeded for SAE {sae}; retry in {wait:.2f} s")
    return sae


Caller = Annotated[str, Depends(caller_sae)]
Ctx = Annotated[HubContext, Depends(get_ctx)]


def _container(keys: list[Key]) -> dict:
    return {"keys": [{"key_ID": k.key_id, "key": base64.b64encode(k.material).decode()} for k in keys]}


def _issue(ctx: HubContext, master: str, slave: str, req: KeyRequest) -> dict:
    s = ctx.settings
    number = 1 if req.number is None else req.number
    size = s.key_size if req.size is None else req.size
    problems = []
    if not 1 <= number <= s.max_key_per_request:
        problems.append({"number": f"must be between 1 and max_key_per_request={s.max_key_per_request}"})
    if not s.min_key_size <= size <= s.max_key_size or size % 8:
        problems.append({"size": f"must be a multiple of 8 between {s.min_key_size} and {s.max_key_size} bits"})
    if req.additional_slave_SAE_IDs:
        problems.append({"additional_slave_SAE_IDs": "multicast is not supported (max_SAE_ID_count is 0)"})
    for ext in req.extension_mandatory or []:
        for name in ext:
            problems.append({"extension_mandatory_unsupported": f"{name} is not supported"})
    if slave == master:
        problems.append({"slave_SAE_ID": "must differ from the calling (master) SAE"})
    if problems:
        raise EtsiError(400, "invalid key request", problems)
    try:
        keys = ctx.keystore.issue(master, [slave], number, size)
    except KeyStoreError as exc:
        raise EtsiError(exc.status, exc.message, exc.details) from None
    return _container(keys)


def _release(ctx: HubContext, caller: str, master: str, key_ids: list[str]) -> dict:
    try:
        return _container(ctx.keystore.release(caller, master, key_ids))
    except KeyStoreError as exc:
        raise EtsiError(exc.status, exc.message, exc.details) from None


@router.get("/{slave_SAE_ID}/status", response_model=Status, response_model_exclude_none=True,
            operation_id="etsi_get_status")
def get_status(slave_SAE_ID: str, caller: Caller, ctx: Ctx) -> dict:  # noqa: N803 - the spec's name
    """Get status (5.2): key pool of the link between the caller's KME and the slave's."""
    s = ctx.settings
    node_m, node_s = s.node_of(caller), s.node_of(slave_SAE_ID)
    count = 0 if node_m == node_s else ctx.keystore.stored_key_count(node_m, node_s)
    ext = ctx.qkd_status(node_m, node_s) if node_m != node_s else None
    return {
        "source_KME_ID": s.kme_of(caller), "target_KME_ID": s.kme_of(slave_SAE_ID), "master_SAE_ID": caller,
        "slave_SAE_ID": slave_SAE_ID, "key_size": s.key_size, "stored_key_count": count,
        "max_key_count": s.max_key_count, "max_key_per_request": s.max_key_per_request,
        "max_key_size": s.max_key_size, "min_key_size": s.min_key_size, "max_SAE_ID_count": 0,
        "status_extension": ext,
    }


@router.get("/{slave_SAE_ID}/enc_keys", response_model=KeyContainer, response_model_exclude_none=True,
            operation_id="etsi_get_key_simple")
def get_key_simple(
    slave_SAE_ID: str, caller: Caller, ctx: Ctx,  # noqa: N803
    number: Annotated[int | None, Query(description="number of keys (default 1)")] = None,
    size: Annotated[int | None, Query(description="bits per key (default key_size)")] = None,
) -> dict:
    """Get key (5.3), simple GET form."""
    return _issue(ctx, caller, slave_SAE_ID, KeyRequest(number=number, size=size))


@router.post("/{slave_SAE_ID}/enc_keys", response_model=KeyContainer, response_model_exclude_none=True,
             operation_id="etsi_get_key")
def get_key(
    slave_SAE_ID: str, caller: Caller, ctx: Ctx,  # noqa: N803
    body: Annotated[KeyRequest | None, Body()] = None,
) -> dict:
    """Get key (5.3): ``Key request`` body; an empty body means all defaults."""
    return _issue(ctx, caller, slave_SAE_ID, body or KeyRequest())


@router.get("/{master_SAE_ID}/dec_keys", response_model=KeyContainer, response_model_exclude_none=True,
            operation_id="etsi_get_key_with_id_simple")
def get_key_with_id_simple(
    master_SAE_ID: str, caller: Caller, ctx: Ctx,  # noqa: N803
    key_ID: Annotated[str, Query(max_length=64, description="the key_ID the master SAE received")],  # noqa: N803
) -> dict:
    """Get key with key IDs (5.4), simple GET form for one key."""
    return _release(ctx, caller, master_SAE_ID, [key_ID])


@router.post("/{master_SAE_ID}/dec_keys", response_model=KeyContainer, response_model_exclude_none=True,
             operation_id="etsi_get_key_with_ids")
def get_key_with_ids(master_SAE_ID: str, body: KeyIDs, caller: Caller, ctx: Ctx) -> dict:  # noqa: N803
    """Get key with key IDs (5.4): every key is delivered once, to a slave it was issued for."""
    return _release(ctx, caller, master_SAE_ID, [item.key_ID for item in body.key_IDs])

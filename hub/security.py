"""Bearer tokens (stored as SHA-256 hashes), per-caller rate limits and a request-body size limit.

Hub layer. Tokens are 256-bit random strings shown once at creation; the database holds only their SHA-256,
which is enough for random secrets (no password stretching needed). Rate limits are token buckets per token
(and per SAE for the 014 routes), in memory: one hub process is one limiter.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session, select

from hub.context import HubContext, get_ctx
from hub.tables import ApiToken

TOKEN_PREFIX = "qnp_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, rate_limit_per_s: float | None = None) -> tuple[str, ApiToken]:
    """A new token; returns (the token text, shown only now, and its row)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name[:200], token_hash=hash_token(token), prefix=token[:10], rate_limit_per_s=rate_limit_per_s)
    with Session(engine, expire_on_commit=False) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return token, row


def revoke_token(engine: Engine, token_id: int) -> bool:
    with Session(engine) as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            return False
        row.revoked = True
        s.add(row)
        s.commit()
    return True


def lookup_token(engine: Engine, token: str) -> ApiToken | None:
    with Session(engine, expire_on_commit=False) as s:
        row = s.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    return row if row is not None and not row.revoked else None


class RateLimiter:
    """Token buckets keyed by caller: ``rate`` requests per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, rate: float | None = None) -> float:
        """0 when allowed, else the seconds to wait before the next request would be."""
        rate = rate or self.rate
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


def _limit(ctx: HubContext, key: str, rate: float | None) -> None:
    wait = ctx.extras["limiter"].acquire(key, rate)
    if wait > 0:
        raise HTTPException(429, f"rate limit exceeded; retry in {wait:.2f} s",
                            headers={"Retry-After": str(max(1, round(wait)))})


def require_token(request: Request, ctx: Annotated[HubContext, Depends(get_ctx)]) -> ApiToken | None:
    """Bearer-token check plus the token's rate limit; None when the hub runs without authentication."""
    if not ctx.settings.auth_required:
        _limit(ctx, f"ip:{request.client.host if request.client else '?'}", None)
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer token: send 'Authorization: Bearer <token>' "
                                 "(create one with `qnp serve token NAME`)", headers={"WWW-Authenticate": "Bearer"})
    row = lookup_token(ctx.engine, token.strip())
    if row is None:
        raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
    _limit(ctx, f"token:{row.id}", row.rate_limit_per_s)
    return row


def limit_sae(ctx: HubContext, sae: str) -> None:
    _limit(ctx, f"sae:{sae}", None)


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        try:
            too_big = declared is not None and int(declared) > self.max_bytes
        except ValueError:
            too_big = False
        if too_big:
            return await self._reject(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_bytes} bytes",
                           "message": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(BaseException):  # noqa: N818 - BaseException so that no `except Exception` in FastAPI eats it
    pass

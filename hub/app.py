"""The hub's FastAPI application: HTTP API, ETSI GS QKD 014 key delivery, secure messages, MCP at /mcp.

Hub layer (top): imports ``storage`` and ``qnp_engine``; nothing imports it but ``hub.cli`` and tests.
``create_app(settings)`` builds a fresh app (one MCP session manager and one run manager per app).
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, text

from hub import api_messages, api_runs, api_topologies, etsi014
from hub.context import HubContext
from hub.errors import install_error_handlers
from hub.keystore import KeyStore
from hub.security import BodySizeLimit, RateLimiter, lookup_token
from hub.settings import HubSettings
from hub.tables import create_hub_tables
from storage.db import open_database
from storage.manager import RunManager

VERSION = "0.1.0"


def build_context(settings: HubSettings | None = None, engine: Engine | None = None) -> HubContext:
    settings = settings or HubSettings.from_env()
    engine = engine or open_database(settings.db_url)
    create_hub_tables(engine)
    manager = RunManager(engine, max_concurrent=settings.max_concurrent_runs)
    ctx = HubContext(settings, engine, KeyStore(engine, settings), manager)
    ctx.extras["limiter"] = RateLimiter(settings.rate_limit_per_s, settings.rate_burst)
    return ctx


class BearerGate:
    """ASGI wrapper for mounted apps (MCP): the same bearer tokens as the API, 401 otherwise."""

    def __init__(self, app, ctx: HubContext):
        self.app, self.ctx = app, ctx

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.ctx.settings.auth_required:
            headers = dict(scope.get("headers") or [])
            scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or lookup_token(self.ctx.engine, token.strip()) is None:
                body = json.dumps({"detail": "missing or invalid bearer token"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def create_app(settings: HubSettings | None = None, engine: Engine | None = None) -> FastAPI:
    ctx = build_context(settings, engine)
    mcp_server = None
    mcp_asgi = None
    if ctx.settings.mcp:
        from hub.mcp_tools import build_mcp

        mcp_server = build_mcp(ctx)
        mcp_asgi = mcp_server.streamable_http_app(streamable_http_path="/")
        ctx.extras["mcp"] = mcp_server

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if ctx.settings.manage_runs:
            ctx.manager.start_background(interval_s=0.5)
        try:
            if mcp_server is not None:
                # A mounted sub-app's lifespan is not run by Starlette: the session manager is started here.
                async with mcp_server.session_manager.run():
                    yield
            else:
                yield
        finally:
            ctx.manager.shutdown()

    app = FastAPI(
        title="QNP hub", version=VERSION, lifespan=lifespan, docs_url="/docs",
        description="Quantum network hub: topologies and runs of the QNP engine, QKD keys from delivered pairs "
                    "(ETSI GS QKD 014), secure agent messages, MCP tools at /mcp. See docs/hub.md.",
    )
    app.state.hub = ctx
    install_error_handlers(app)

    @app.get("/health", tags=["health"], operation_id="health")
    def health() -> dict[str, Any]:
        """Liveness and readiness: the database answers."""
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": VERSION, "database": ctx.engine.dialect.name,
                "mcp": mcp_server is not None, "key_pairs": len(ctx.keystore.pairs())}

    app.include_router(api_topologies.router)
    app.include_router(api_runs.router)
    app.include_router(api_messages.router)
    app.include_router(etsi014.router)
    if mcp_asgi is not None:
        app.mount("/mcp", BearerGate(mcp_asgi, ctx))
    app.add_middleware(BodySizeLimit, max_bytes=ctx.settings.max_body_bytes)
    return app

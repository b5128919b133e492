"""Error bodies: every 4xx names the field and the reason; nothing a client sends produces a 500.

Hub layer. The 014 routes answer the spec's ``{"message", "details"}`` object (400 instead of FastAPI's 422);
the rest of the API answers ``{"detail": ..., "errors": [{"field", "message"}]}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.etsi014 import PREFIX as ETSI_PREFIX
from hub.etsi014 import EtsiError, etsi_error_response
from qnp_engine.model import ScenarioError
from storage.errors import RunNotFound, StorageError, TopologyNotFound

log = logging.getLogger("qnp.hub")


def _is_etsi(request: Request) -> bool:
    return request.url.path.startswith(ETSI_PREFIX)


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append({"field": _field(tuple(err.get("loc", ()))), "message": msg})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EtsiError)
    async def _etsi(_request: Request, exc: EtsiError) -> JSONResponse:
        return etsi_error_response(exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        if _is_etsi(request):
            return etsi_error_response(400, "bad request format", [{e["field"]: e["message"]} for e in errors])
        text = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse({"detail": f"invalid request: {text}", "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if _is_etsi(request):
            return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ScenarioError)
    async def _scenario(_request: Request, exc: ScenarioError) -> JSONResponse:
        errors = [{"field": e.path, "message": e.message} for e in exc.errors]
        return JSONResponse({"detail": "invalid scenario:\n" + str(exc), "errors": errors}, status_code=422)

    @app.exception_handler(RunNotFound)
    @app.exception_handler(TopologyNotFound)
    async def _not_found(_request: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(StorageError)
    async def _storage(_request: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_etsi(request):
            return etsi_error_response(503, "internal KME error")
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)

"""Who is calling: the SAE ID from the mutual-TLS client certificate, and a uvicorn hook that exposes it.

Hub layer. uvicorn 0.54 does not pass the peer certificate to the ASGI app (no ``tls`` scope extension), so
``PeerCertH11Protocol`` copies ``ssl_object.getpeercert()`` into the per-connection ``scope["state"]`` when the
TLS connection is made. The SAE ID is the certificate subject's common name. For in-process tests without
TLS, a header (``x-sae-id``) is accepted only when the settings allow it; it is off by default.
"""

from __future__ import annotations

import ssl
from typing import Any

import uvicorn
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

PEER_CERT_KEY = "qnp_hub_peer_cert"


class PeerCertH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert() if ssl_object is not None else None
        # A per-connection copy: every request of this connection sees its own peer, never another's.
        self.app_state = {**self.app_state, PEER_CERT_KEY: cert or None}


def common_name(cert: dict[str, Any] | None) -> str | None:
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName" and value:
                return str(value)
    return None


def sae_identity(request: Request, allow_header: bool, header: str = "x-sae-id") -> str | None:
    """The calling SAE's ID, or None when the caller did not authenticate."""
    state = request.scope.get("state") or {}
    cn = common_name(state.get(PEER_CERT_KEY))
    if cn:
        return cn
    if allow_header:
        value = request.headers.get(header, "").strip()
        return value or None
    return None


def make_server(
    app: Any, host: str = "127.0.0.1", port: int = 8000, *, certfile: str | None = None, keyfile: str | None = None,
    ca_certs: str | None = None, require_client_cert: bool = False, log_level: str = "warning",
    graceful_shutdown_s: float = 5.0,
) -> uvicorn.Server:
    """A uvicorn server; with ``certfile`` it speaks TLS and, with ``ca_certs``, asks for client certificates
    (required or optional: without one, 014 calls answer 401 while bearer-token API calls still work)."""
    kwargs: dict[str, Any] = {"host": host, "port": port, "log_level": log_level, "lifespan": "on",
                              "timeout_graceful_shutdown": graceful_shutdown_s}
    if certfile:
        kwargs.update(ssl_certfile=certfile, ssl_keyfile=keyfile, http=PeerCertH11Protocol)
        if ca_certs:
            kwargs.update(ssl_ca_certs=ca_certs,
                          ssl_cert_reqs=ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL)
    return uvicorn.Server(uvicorn.Config(app, **kwargs))

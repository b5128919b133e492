"""``qnp serve``: run the hub (HTTP API + ETSI 014 + MCP), manage API tokens, serve MCP over stdio.

Hub layer, mounted under the engine's CLI through the ``qnp_studio.cli`` entry point (``serve``).
"""

from __future__ import annotations

import ipaddress
import json

import typer

app = typer.Typer(help="The QNP hub: HTTP API, QKD key delivery (ETSI GS QKD 014) and MCP tools.",
                  invoke_without_command=True, add_completion=False, pretty_exceptions_enable=False)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.callback()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    db_url: str = typer.Option(None, "--db-url", help="SQLAlchemy URL (default: QNP_STUDIO_DB_URL / ./qnp_studio.db)"),
    tls_cert: str = typer.Option(None, "--tls-cert", help="server certificate (PEM); enables HTTPS"),
    tls_key: str = typer.Option(None, "--tls-key", help="server private key (PEM)"),
    client_ca: str = typer.Option(None, "--client-ca", help="CA that signs SAE client certificates (mTLS)"),
    require_client_cert: bool = typer.Option(False, help="refuse TLS connections without a client certificate"),
    no_auth: bool = typer.Option(False, "--no-auth", help="no bearer tokens (loopback addresses only)"),
    dev_identity_header: bool = typer.Option(False, help="accept the x-sae-id header as SAE identity (tests only)"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Start the hub (when no sub-command is given)."""
    ctx.obj = {"db_url": db_url}
    if ctx.invoked_subcommand is not None:
        return
    if (no_auth or dev_identity_header) and not _loopback(host):
        raise typer.BadParameter("--no-auth and --dev-identity-header are only allowed on loopback addresses",
                                 param_hint="--host")
    if bool(tls_cert) != bool(tls_key):
        raise typer.BadParameter("give both --tls-cert and --tls-key", param_hint="--tls-cert")
    if client_ca and not tls_cert:
        raise typer.BadParameter("--client-ca needs --tls-cert/--tls-key (mTLS runs over HTTPS)",
                                 param_hint="--client-ca")
    from hub.app import create_app
    from hub.identity import make_server
    from hub.settings import HubSettings

    settings = HubSettings.from_env(db_url=db_url, auth_required=not no_auth, allow_header_identity=dev_identity_header)
    server = make_server(create_app(settings), host, port, certfile=tls_cert, keyfile=tls_key, ca_certs=client_ca,
                         require_client_cert=require_client_cert, log_level=log_level)
    scheme = "https" if tls_cert else "http"
    typer.echo(f"QNP hub on {scheme}://{host}:{port} (API docs at /docs, MCP at /mcp/)")
    server.run()


def _context(ctx: typer.Context):
    from hub.app import build_context
    from hub.settings import HubSettings

    return build_context(HubSettings.from_env(db_url=(ctx.obj or {}).get("db_url"), manage_runs=False))


@app.command("token")
def token(ctx: typer.Context, name: str = typer.Argument(..., help="who the token is for"),
          rate: float = typer.Option(None, help="requests per second (default: the hub's)")) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from hub.security import create_token

    text, row = create_token(_context(ctx).engine, name, rate)
    typer.echo(f"token {row.id} for {name!r}: {text}")


@app.command("tokens")
def tokens(ctx: typer.Context) -> None:
    """List API tokens (prefix only)."""
    from sqlmodel import Session, select

    from hub.tables import ApiToken

    with Session(_context(ctx).engine) as s:
        for row in s.exec(select(ApiToken)).all():
            state = "revoked" if row.revoked else "active"
            typer.echo(f"{row.id:>4}  {row.prefix}...  {state:<8} {row.name}")


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: int = typer.Argument(..., help="token id (see `qnp serve tokens`)")) -> None:
    from hub.security import revoke_token

    if not revoke_token(_context(ctx).engine, token_id):
        typer.echo(f"error: token {token_id} not found", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked token {token_id}")


@app.command("distil")
def distil(ctx: typer.Context, run_id: int = typer.Argument(..., help="a finished entanglement run")) -> None:
    """Distil QKD keys from a finished run into the key store; prints the figures as JSON."""
    from hub.qkd_feed import distil_run
    from storage.errors import StorageError

    try:
        reports = distil_run(_context(ctx), run_id)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(reports, indent=2))


@app.command("mcp")
def mcp_stdio(ctx: typer.Context) -> None:
    """Serve the MCP tools over stdio (for a local agent that launches the hub as a subprocess)."""
    from hub.mcp_tools import build_mcp

    build_mcp(_context(ctx)).run("stdio")


if __name__ == "__main__":
    app()

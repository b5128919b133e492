"""``qnp runs list | show | export | delete | cancel | compare``: the run history from the command line.

Storage layer. Mounted under the engine's ``qnp`` command through the ``qnp_studio.cli`` entry point (the engine
never imports storage). Bad input (unknown run id, bad option) prints one clear line to stderr and exits 1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage import db
from storage.errors import StorageError
from storage.export import export_run, run_metadata
from storage.models import Run, RunKind, RunStatus
from storage.runs import delete_run, list_runs, request_cancel
from storage.samples import compare_runs, run_with_latest

app = typer.Typer(help="Run history: list, inspect, export, cancel and delete runs.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _options(
    ctx: typer.Context,
    database: str = typer.Option(None, "--db", help="SQLite file or SQLAlchemy URL "
                                 "(default: $QNP_STUDIO_DB_URL, $QNP_STUDIO_DB, ./qnp_studio.db)"),
) -> None:
    ctx.obj = database


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _engine(ctx: typer.Context) -> Engine:
    given = ctx.obj
    url = given if given and "://" in given else (db.sqlite_url(given) if given else db.database_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not os.path.exists(parsed.database):
        raise _fail(f"no run history at {parsed.database} (set --db or QNP_STUDIO_DB)")
    try:
        return db.open_database(url)
    except Exception as exc:  # noqa: BLE001 - e.g. not a database file: one line, no traceback
        raise _fail(f"cannot open the run history at {parsed.render_as_string()}: {exc}") from None


def _short_time(run: Run) -> str:
    return run.created_at.strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_command(
    ctx: typer.Context,
    kind: RunKind = typer.Option(None, help="only this kind"),
    status: list[RunStatus] = typer.Option(None, help="only these statuses (repeatable)"),
    name: str = typer.Option(None, help="part of the run name or label"),
    limit: int = typer.Option(50, min=1, help="newest N runs"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List runs, newest first."""
    engine = _engine(ctx)
    rows = list_runs(engine, kind=kind.value if kind else None,
                     status=[s.value for s in status] if status else None, name=name, limit=limit)
    if as_json:
        typer.echo(json.dumps([run_metadata(r) for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no runs")
        return
    typer.echo(f"{'ID':>5}  {'KIND':<12} {'STATUS':<9} {'PROG':>5}  {'CREATED (UTC)':<19}  {'ENGINE':<11} "
               f"{'SEED':>6}  NAME")
    for r in rows:
        seed = "" if r.seed is None else str(r.seed)
        name_text = r.name + (f" [{r.label}]" if r.label else "")
        typer.echo(f"{r.id:>5}  {r.kind:<12} {r.status:<9} {r.progress:>5.0%}  {_short_time(r)}  "
                   f"{(r.engine or ''):<11} {seed:>6}  {name_text}")


@app.command()
def show(ctx: typer.Context, run_id: int = typer.Argument(..., help="run id"),
         as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """A run's details, error, summary and latest metric values."""
    engine = _engine(ctx)
    try:
        view = run_with_latest(engine, run_id)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    run, latest = view.run, view.latest
    if as_json:
        values = [{"entity": e, "metric": m, "value": v} for (e, m), v in sorted(latest.values.items())]
        typer.echo(json.dumps({"run": run_metadata(run), "summary": run.summary,
                               "latest": {"step": latest.step, "sim_time_s": latest.sim_time_s, "values": values}},
                              indent=2))
        return
    meta = run_metadata(run)
    for key in ("id", "kind", "status", "name", "label", "engine", "seed", "progress", "created_at", "started_at",
                "finished_at"):
        if meta[key] not in (None, ""):
            value = f"{meta[key]:.0%}" if key == "progress" else meta[key]
            typer.echo(f"{key + ':':<13}{value}")
    if run.error:
        typer.echo("error:")
        for line in run.error.splitlines():
            typer.echo(f"  {line}")
    if latest.step is not None:
        typer.echo(f"latest values (step {latest.step}, t = {latest.sim_time_s:g} s):")
        for entity in latest.entities:
            metrics = ", ".join(f"{m}={v:.6g}" for m, v in sorted(latest.entity(entity).items()))
            typer.echo(f"  {entity}: {metrics}")
    if run.summary:
        typer.echo("summary:")
        typer.echo("  " + json.dumps(run.summary, indent=2, default=str).replace("\n", "\n  "))


@app.command()
def export(
    ctx: typer.Context, run_id: int = typer.Argument(..., help="run id"),
    out: Path = typer.Option(Path("."), "--out", "-o", help="folder for run-<id>.json and the samples CSV"),
) -> None:
    """Write the run as JSON and its metric samples as CSV."""
    engine = _engine(ctx)
    try:
        files = export_run(engine, run_id, out)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write to {out}: {exc.strerror}") from None
    typer.echo(f"wrote {files.json_path}")
    typer.echo(f"wrote {files.csv_path} ({files.sample_count} samples)")


@app.command()
def delete(ctx: typer.Context, run_id: int = typer.Argument(..., help="run id"),
           yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")) -> None:
    """Delete a finished run with its samples and artefacts."""
    engine = _engine(ctx)
    if not yes:
        typer.confirm(f"delete run {run_id} and all its samples?", abort=True)
    try:
        delete_run(engine, run_id)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"deleted run {run_id}")


@app.command()
def cancel(ctx: typer.Context, run_id: int = typer.Argument(..., help="run id")) -> None:
    """Cancel a queued run, or ask a running one to stop after its current slice."""
    engine = _engine(ctx)
    try:
        run = request_cancel(engine, run_id)
    except StorageError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"run {run_id}: {run.status}" + (" (stop requested)" if run.status == "running" else ""))


@app.command()
def compare(ctx: typer.Context, run_a: int = typer.Argument(..., help="first run id"),
            run_b: int = typer.Argument(..., help="second run id")) -> None:
    """Latest values and summary numbers of two runs side by side (delta = B - A)."""
    engine = _engine(ctx)
    try:
        result = compare_runs(engine, run_a, run_b)
    except StorageError as exc:
        raise _fail(str(exc)) from None

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.6g}"

    typer.echo(f"{'ENTITY':<24} {'METRIC':<40} {'A=' + str(run_a):>12} {'B=' + str(run_b):>12} {'DELTA':>12}")
    for row in result.rows:
        typer.echo(f"{row.entity:<24} {row.metric:<40} {fmt(row.a):>12} {fmt(row.b):>12} {fmt(row.delta):>12}")

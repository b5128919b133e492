"""``qnp validate | schema | show | simulate | qnn | compile``.

Errors go to stderr as ``path: reason`` lines and exit with status 1; no tracebacks for bad input.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import typer

from qnp_engine.model import Scenario, ScenarioError, load_scenario

app = typer.Typer(help="QNP Studio engine: validate, inspect and simulate quantum networks.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


def load_or_exit(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        typer.echo(f"{path}: invalid scenario", err=True)
        for err in exc.errors:
            typer.echo(f"  {err}", err=True)
        raise typer.Exit(1) from None


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="YAML scenario files")) -> None:
    """Check files against the format; exit 1 if any is invalid."""
    bad = 0
    for path in files:
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            typer.echo(f"{path}: invalid", err=True)
            for err in exc.errors:
                typer.echo(f"  {err}", err=True)
            continue
        t = s.topology
        typer.echo(f"{path}: ok ({len(t.nodes)} nodes, {len(t.links)} links, {len(s.requests)} requests)")
    if bad:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the YAML scenario format."""
    from qnp_engine.model.json_schema import scenario_json_schema

    typer.echo(json.dumps(scenario_json_schema(), indent=2))


@app.command()
def show(file: Path) -> None:
    """Readable summary: nodes, links with derived physics, requests and their routes."""
    from qnp_engine.cli.summary import render_summary

    typer.echo(render_summary(load_or_exit(file)))


@app.command("compile")
def compile_engine(
    force: bool = typer.Option(False, help="rebuild even if these sources already have a build"),
    show_status: bool = typer.Option(False, "--status", help="only say which engine runs now, and why"),
) -> None:
    """Build the compiled engine (mypyc; about 30 s): runs then take half the time, with identical results."""
    from qnp_engine.compiled import status
    from qnp_engine.compiled.build import BuildError, build

    if show_status:
        typer.echo(status().reason)
        return
    typer.echo("compiling the engine's hot modules with mypyc (about 30 s)...", err=True)
    try:
        typer.echo(build(force=force).reason)
    except BuildError as exc:
        typer.echo(f"qnp compile: {exc}", err=True)
        raise typer.Exit(1) from None


def _register() -> None:
    from qnp_engine.cli.qnn import qnn
    from qnp_engine.cli.simulate import simulate

    app.command()(simulate)
    app.command()(qnn)


_register()


def _mount_plugins() -> None:
    # Upper packages (storage: ``qnp runs``) register their command groups under this group, so the
    # engine never imports them.
    for ep in entry_points(group="qnp_studio.cli"):
        try:
            app.add_typer(ep.load(), name=ep.name)
        except ImportError:  # an optional package that is not installed
            continue


def main() -> None:
    _mount_plugins()
    app()

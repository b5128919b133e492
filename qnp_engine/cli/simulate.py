"""``qnp simulate FILE``: run every request of a scenario and print (or save) the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qnp_engine.backends.base import BackendUnavailable
from qnp_engine.backends.registry import available_backends
from qnp_engine.compiled import running_compiled, status
from qnp_engine.model import Scenario
from qnp_engine.sim import RunResult, Simulation


def apply_overrides(scenario: Scenario, seed: int | None, max_time: float | None, pairs: int | None,
                    engine: str | None) -> Scenario:
    sim = scenario.simulation.model_copy(update={k: v for k, v in
                                                 {"seed": seed, "max_time_s": max_time, "engine": engine}.items()
                                                 if v is not None})
    requests = scenario.requests
    if pairs is not None:
        requests = [r.model_copy(update={"pairs": pairs}) for r in requests]
    # model_copy skips validation; re-validate so overrides get the same field-named checks.
    return Scenario.model_validate({"topology": scenario.topology, "requests": requests, "simulation": sim})


def result_table(result: RunResult) -> Table:
    engine = f"{result.engine} ({result.engine_target})" if result.engine_target else result.engine
    table = Table(title=f"{result.scenario} — seed {result.seed}, engine {engine}, "
                        f"{result.sim_time_s:.4g} s simulated, {result.events} events, {result.wall_time_s:.2f} s wall")
    for col in ("request", "path", "status", "delivered", "pairs/s", "fidelity", "95% CI", "F est.",
                "latency (mean)", "expired"):
        table.add_column(col)
    for r in result.requests:
        est = r.get("estimated_fidelity")
        table.add_row(
            r["name"], "-".join(r["path"]), r["status"] + (f" ({r['reason']})" if r.get("reason") else ""),
            str(r["pairs_delivered"]), f"{r['throughput_hz']:.4g}", f"{r['fidelity_mean']:.4f}",
            f"[{r['fidelity_ci95'][0]:.4f}, {r['fidelity_ci95'][1]:.4f}]",
            "-" if est is None else f"{est:.4f}", f"{r['latency_mean_s']:.3g} s", str(r["pairs_expired"]),
        )
    return table


def run_with_progress(sim: Simulation, show: bool) -> RunResult:
    if not show:
        return sim.run()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(sim.scenario.name, total=1.0)
        for snap in sim.stream():
            bar.update(task, completed=snap.progress)
    return sim.result()


def simulate(
    file: Path,
    json_out: Path | None = typer.Option(None, "--json", help="write the result JSON here ('-' for stdout)"),
    seed: int | None = typer.Option(None, help="override simulation.seed"),
    max_time: float | None = typer.Option(None, "--max-time", help="override simulation.max_time_s (seconds)"),
    pairs: int | None = typer.Option(None, help="override every request's pairs"),
    engine: str | None = typer.Option(None, help="closed-form | cudaq | qiskit"),
    outcomes: bool = typer.Option(False, help="include measure-directly outcomes in the JSON"),
    verify_with: str | None = typer.Option(None, "--verify-with",
                                           help="replay a sample of delivered pairs on another engine (cudaq, qiskit)"),
    verify_sample: int = typer.Option(20, help="how many delivered pairs to replay with --verify-with"),
    progress: bool = typer.Option(True, help="show a progress bar on a terminal"),
) -> None:
    """Run a scenario's requests over the network and print a summary table."""
    from qnp_engine.cli.main import load_or_exit
    from qnp_engine.model import ScenarioError

    scenario = load_or_exit(file)
    try:
        scenario = apply_overrides(scenario, seed, max_time, pairs, engine)
    except (ScenarioError, ValueError) as exc:
        typer.echo(f"invalid option: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        sim = Simulation(scenario, keep_outcomes=outcomes, verify_with=verify_with, verify_sample=verify_sample)
    except BackendUnavailable as exc:
        others = ", ".join(n for n in available_backends() if n not in (engine, verify_with))
        typer.echo(f"error: {exc}. Engines you can choose instead: {others}.", err=True)
        raise typer.Exit(2) from None
    result = run_with_progress(sim, progress and sys.stderr.isatty() and json_out != Path("-"))
    if json_out == Path("-"):
        typer.echo(json.dumps(result.to_dict(include_outcomes=outcomes), indent=2))
        return
    Console(width=None if sys.stdout.isatty() else 200).print(result_table(result))
    if not running_compiled():  # say why, and how to get the compiled engine
        now = status()
        typer.echo("engine: " + ("pure Python (a compiled build became ready while this ran)" if now.compiled
                                 else now.reason), err=True)
    if result.verification is not None:
        v = result.verification
        typer.echo(f"verified {v['checked']} delivered pairs on {v['engine']}: largest fidelity difference "
                   f"{v['max_fidelity_difference']:.2e}, outcome mismatches {v['outcome_mismatches']}")
    if json_out is not None:
        json_out.write_text(result.to_json(include_outcomes=outcomes))
        typer.echo(f"result written to {json_out}")

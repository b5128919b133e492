"""Peer benchmark: QNP Studio vs SeQUeNCe vs SimQN on the same repeater chains (bench layer).

Usage (from the repository root, with the project's venv active):
    python bench/peers/run.py                      # 5 rounds x chains 3, 5, 9; writes RESULTS.md
    python bench/peers/run.py --rounds 1 --pairs 200 --chains 3 --no-write   # quick look

Creates the peers' private venvs on first use (``venvs.py``), then runs, for each round and chain,
QNP Studio, SeQUeNCe and SimQN one after the other (A B C A B C ...), each in a fresh interpreter,
and prints per-(tool, chain) medians, the ratios QNP Studio / peer and the fidelity check against
the Werner swap product F = (1 + 3 prod w) / 4.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import venvs  # noqa: E402
from scenario import CHAINS, Scenario, implied_storage_s  # noqa: E402

QNP = "QNP Studio"
BASE = "QNP Studio, baseline engine"
ORDER = ("qnp", "sequence", "simqn")
TOOL_NAME = {"qnp": QNP, "qnp-base": BASE, "sequence": "SeQUeNCe", "simqn": "SimQN"}
TARGET = {"SeQUeNCe": 100.0, "SimQN": 10.0}


def run_one(tool: str, python: str, sc: Scenario, round_no: int, baseline: str | None = None,
            engine: str | None = None, compiled: bool = False) -> dict:
    """One run in a fresh process; ``engine``/``baseline`` put another engine tree first on QNP Studio's path;
    ``compiled``: QNP Studio runs its compiled build (``qnp_engine.compiled``), the baseline always pure Python."""
    script = HERE / ("qnp_side.py" if tool.startswith("qnp") else venvs.PEERS[tool].script)
    cmd = [python, str(script), sc.to_json(), str(round_no)]
    # Every tool simulates on one thread; keep numpy's BLAS pools from spinning on the other core.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if tool == "qnp-base" and baseline:
        env["PYTHONPATH"] = baseline
    elif tool == "qnp" and engine:
        env["PYTHONPATH"] = engine
    env["QNP_ENGINE_COMPILED"] = "require" if compiled and tool == "qnp" else "off"
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=sc.wall_budget_s + 120, env=env)
    except subprocess.TimeoutExpired:
        return {"tool": TOOL_NAME[tool], "nodes": sc.nodes, "round": round_no, "error": "timeout"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-5:]
        return {"tool": TOOL_NAME[tool], "nodes": sc.nodes, "round": round_no, "error": " | ".join(tail)}
    result = json.loads(lines[-1])
    result["tool"] = TOOL_NAME[tool]
    return result


def summarise(runs: list[dict]) -> dict[tuple[str, int], dict]:
    """Per (tool, chain): medians over rounds, the best round, CPU-time rates; mean F over all pairs."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in runs:
        if "error" not in r:
            groups.setdefault((r["tool"], r["nodes"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        pps = [r["delivered"] / r["wall_s"] for r in rs]
        ppc = [r["delivered"] / r["cpu_s"] for r in rs if r.get("cpu_s")]
        eps = [r["events"] / r["wall_s"] for r in rs if r.get("events")]
        total = sum(r["delivered"] for r in rs)
        out[key] = {
            "runs": len(rs),
            "wall_s": statistics.median(r["wall_s"] for r in rs),
            "delivered": statistics.median(r["delivered"] for r in rs),
            "pairs_per_wall_s": statistics.median(pps),
            "best_pairs_per_wall_s": max(pps),
            "pairs_per_cpu_s": statistics.median(ppc) if ppc else None,
            "best_pairs_per_cpu_s": max(ppc) if ppc else None,
            "events_per_wall_s": statistics.median(eps) if eps else None,
            "events_per_pair": statistics.median(r["events"] / max(r["delivered"], 1) for r in rs if r.get("events"))
            if eps else None,
            "fidelity_mean": sum(r["fidelity_mean"] * r["delivered"] for r in rs) / total if total else 0.0,
            "sim_time_s": statistics.median(r["sim_time_s"] for r in rs),
            "stopped_by": ",".join(sorted({r["stopped_by"] for r in rs})),
            "version": rs[0]["version"],
        }
    return out


def _fmt(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def _ratio(q: dict | None, p: dict | None, field: str) -> float | None:
    if not q or not p or not q.get(field) or not p.get(field):
        return None
    return q[field] / p[field]


def tables(summary: dict, chains: list[int], sc: Scenario) -> list[str]:
    tools_run = {k[0] for k in summary}
    lines = ["| tool | nodes | wall s | delivered | pairs / wall-s | best round | pairs / CPU-s, best "
             "| events / wall-s | events / pair | mean F | Werner F | sim time s | stopped by |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in chains:
        werner = replace(sc, nodes=n).werner_fidelity()
        for tool in (QNP, BASE, "SeQUeNCe", "SimQN"):
            s = summary.get((tool, n))
            if s is None and tool not in tools_run:
                continue
            if s is None:
                lines.append(f"| {tool} | {n} | failed |" + " |" * 10)
                continue
            name = tool + (" (nested swaps)" if tool == "SeQUeNCe" else "")
            name += " (hop by hop)" if tool == "SimQN" else ""
            lines.append(
                f"| {name} | {n} | {s['wall_s']:.3f} | {s['delivered']:.0f} | {_fmt(s['pairs_per_wall_s'])} "
                f"| {_fmt(s['best_pairs_per_wall_s'])} | {_fmt(s['best_pairs_per_cpu_s'])} "
                f"| {_fmt(s['events_per_wall_s'])} | {_fmt(s['events_per_pair'], 1)} | {s['fidelity_mean']:.4f} "
                f"| {werner:.4f} | {s['sim_time_s']:.3f} | {s['stopped_by']} |")
    has_base = any(k[0] == BASE for k in summary)
    lines += ["", "Ratios of pairs per second, QNP Studio / peer: median wall-clock rate (the figure of merit), "
              "best round by wall clock, and best round by process CPU time (the least disturbed by other load "
              "on a shared machine).", "",
              "| nodes | vs SeQUeNCe (target >= 100x) | best | CPU | vs SimQN (target >= 10x) | best | CPU "
              "| F: QNP − SeQUeNCe | F: QNP − SimQN |"
              + (" QNP Studio / baseline engine (median wall, best CPU) |" if has_base else ""),
              "|---|---|---|---|---|---|---|---|---|" + ("---|" if has_base else "")]
    for n in chains:
        cells = _ratio_cells(summary, QNP, n)
        if has_base:
            q, b = summary.get((QNP, n)), summary.get((BASE, n))
            r1, r2 = _ratio(q, b, "pairs_per_wall_s"), _ratio(q, b, "best_pairs_per_cpu_s")
            cells.append("–" if r1 is None else f"{r1:.2f}x, {_fmt(r2, 2)}x")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    if has_base:
        lines += ["", "The same ratios for the baseline engine:", "",
                  "| nodes | vs SeQUeNCe (target >= 100x) | best | CPU | vs SimQN (target >= 10x) | best | CPU "
                  "| F: QNP − SeQUeNCe | F: QNP − SimQN |", "|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {n} | " + " | ".join(_ratio_cells(summary, BASE, n)) + " |" for n in chains]
    return lines


def _ratio_cells(summary: dict, variant: str, n: int) -> list[str]:
    """Ratio cells of one QNP Studio variant against both peers on the ``n``-node chain."""
    q = summary.get((variant, n))
    cells = []
    for peer in ("SeQUeNCe", "SimQN"):
        p = summary.get((peer, n))
        r = _ratio(q, p, "pairs_per_wall_s")
        cells.append("–" if r is None else f"{r:.1f}x {'met' if r >= TARGET[peer] else 'NOT met'}")
        for field in ("best_pairs_per_wall_s", "best_pairs_per_cpu_s"):
            r = _ratio(q, p, field)
            cells.append("–" if r is None else f"{r:.1f}x")
    for peer in ("SeQUeNCe", "SimQN"):
        p = summary.get((peer, n))
        cells.append(f"{q['fidelity_mean'] - p['fidelity_mean']:+.4f}" if q and p else "–")
    return cells


def fidelity_check(tools: list[str], pythons: dict[str, str], chains: list[int], base: Scenario,
                   engine: str | None = None, compiled: bool = False) -> list[dict]:
    """Noiseless memories: every tool must deliver exactly the Werner swap product (R2)."""
    sc0 = replace(base, memory_noise=False, pairs=min(base.pairs, 200))
    return [run_one(t, pythons[t], replace(sc0, nodes=n), 0, engine=engine, compiled=compiled)
            for n in chains for t in tools if t != "qnp-base"]


def check_table(checks: list[dict], summary: dict, base: Scenario) -> list[str]:
    lines = ["| tool | nodes | Werner F | noiseless: mean F | max abs(F − Werner) | with memory noise: mean F "
             "| implied storage, qubit·ms per pair |", "|---|---|---|---|---|---|---|"]
    for r in checks:
        if "error" in r:
            lines.append(f"| {r['tool']} | {r['nodes']} | error: {r['error']} | | | | |")
            continue
        sc = replace(base, nodes=r["nodes"])
        werner = sc.werner_fidelity()
        spread = [abs(x - werner) for x in (r["fidelity_min"], r["fidelity_max"]) if x is not None]
        worst = max(spread + [abs(r["fidelity_mean"] - werner)])
        noisy = summary.get((r["tool"], r["nodes"]))
        f_noisy = noisy["fidelity_mean"] if noisy else None
        stored = implied_storage_s(f_noisy, sc.raw_fidelity, sc.links, sc.coherence_time_s) if noisy else None
        lines.append(f"| {r['tool']} | {r['nodes']} | {werner:.6f} | {r['fidelity_mean']:.6f} | {worst:.1e} "
                     f"| {_fmt(f_noisy, 4)} | {_fmt(None if stored is None else 1e3 * stored, 2)} |")
    return lines


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ensure_compiled(engine: str | None) -> None:
    """Build the engine tree (None: the working tree) into the engine cache unless it holds a build already."""
    env = dict(os.environ, **({"PYTHONPATH": engine} if engine else {}))
    proc = subprocess.run([sys.executable, "-m", "qnp_engine.compiled.build"], capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        sys.exit(f"--compiled: {proc.stderr.strip() or proc.stdout.strip()}")
    print(proc.stdout.strip())


def python_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                         capture_output=True, text=True)
    return out.stdout.strip()


def write_results(path: Path, summary: dict, runs: list[dict], checks: list[dict], chains: list[int],
                  sc: Scenario, pythons: dict[str, str], argv: list[str], baseline: str | None,
                  profiles: dict[int, str], engine: str | None = None) -> None:
    versions = {t: next((r["version"] for r in runs if r.get("tool") == TOOL_NAME[t] and "version" in r), "?")
                for t in pythons}
    lines = [
        "# Peer benchmark results",
        "",
        f"Generated by `python bench/peers/{' '.join(['run.py', *argv])}` on {date.today().isoformat()}.",
        "",
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores; load average when the runs ended "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} over 1 / 5 / 15 min, the benchmark itself counting 1; "
        "every run is a fresh single-threaded process, tools alternate A B C within each round)",
        f"- OS: {platform.platform()}",
    ]
    for t in ("qnp", "qnp-base", *ORDER[1:]):
        if t in pythons:
            tree = baseline if t == "qnp-base" else (engine if t == "qnp" else None)
            where = f" (engine from {tree})" if tree else ""
            lines.append(f"- {TOOL_NAME[t]} {versions[t]}{where} on Python {python_version(pythons[t])}")
    lines += [
        f"- Scenario: chains of {', '.join(map(str, chains))} nodes, {sc.link_km:g} km links with a midpoint "
        f"station, {sc.attenuation_db_per_km} dB/km, p = {sc.success_probability:.4f} per attempt, raw Werner "
        f"F = {sc.raw_fidelity}, memory coherence {sc.coherence_time_s:g} s, cutoff {sc.cutoff_s * 1e3:g} ms, "
        f"{sc.pairs} end-to-end pairs per run, wall budget {sc.wall_budget_s:g} s per run, seed {sc.seed}",
        f"- Medians over {max(r['round'] for r in runs) + 1} rounds (wall time counts network build + simulation, "
        "not interpreter start or imports); mean F is over all delivered pairs of all rounds",
        "",
        "## Summary",
        "",
        *tables(summary, chains, sc),
        "",
        "SeQUeNCe swaps in its fixed nested (doubling) order, not as soon as possible; SimQN's example "
        "protocol extends the pair one hop at a time. See README.md for what each tool models and why the "
        "fidelities differ slightly from the Werner product (memory decay while pairs wait).",
        "",
        "## Fidelity check",
        "",
        "First with noiseless memories (each tool once per chain, up to 200 pairs): where the models agree "
        "every delivered pair must have exactly F = (1 + 3 w^n) / 4, w = (4 F_link − 1) / 3. Then the "
        "measured runs above, with 1 s memories: the last column inverts F = (1 + 3 w^n e^(−Σt/T)) / 4 to the "
        "storage time Σt summed over the pair's qubits that the tool's own mean fidelity implies.",
        "",
        *(check_table(checks, summary, sc) if checks else ["(skipped)"]),
        "",
        *(["## Where QNP Studio spends its time", "",
            "py-spy samples of the simulation loop (`python bench/peers/profile_qnp.py NODES 5000`), aggregated per "
            "function; self time is spent in the function's own code, inclusive time also counts its callees. "
            "Always the pure-Python engine: py-spy sees Python frames only.", ""]
          + [line for n, text in profiles.items() for line in (f"### {n} nodes", "", "```", text, "```", "")]
          if profiles else []),
        "## Every run",
        "",
        "| round | tool | nodes | wall s | CPU s | setup s | delivered | events | mean F | sim time s | stopped by |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        if "error" in r:
            lines.append(f"| {r['round']} | {r['tool']} | {r['nodes']} | error: {r['error']} |" + " |" * 7)
            continue
        lines.append(f"| {r['round']} | {r['tool']} | {r['nodes']} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} "
                     f"| {r['setup_s']:.3f} "
                     f"| {r['delivered']} | {r['events']} | {r['fidelity_mean']:.4f} | {r['sim_time_s']:.4f} "
                     f"| {r['stopped_by']} |")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--chains", type=int, nargs="+", default=list(CHAINS))
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--budget", type=float, default=120.0, help="wall-clock seconds per run before it is stopped")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tools", default=",".join(ORDER), help="comma list of qnp, sequence, simqn")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--no-check", action="store_true", help="skip the noiseless-memory fidelity check")
    ap.add_argument("--profile", action="store_true",
                    help="append a py-spy profile of QNP Studio on the shortest and longest chain to RESULTS.md")
    ap.add_argument("--engine", metavar="DIR",
                    help="run QNP Studio with the qnp_engine package in DIR instead of the working tree (a fixed "
                         "snapshot, e.g. `git archive COMMIT qnp_engine | tar -x -C DIR`)")
    ap.add_argument("--baseline-engine", metavar="DIR",
                    help="also run QNP Studio with the qnp_engine package found in DIR (e.g. a `git worktree` of an "
                         "older commit) and report the speed-up")
    ap.add_argument("--compiled", action="store_true",
                    help="run QNP Studio's engine (from --engine or the working tree) compiled with mypyc: "
                         "what the app runs once its background build is ready (built now if the engine cache "
                         "has no build of these sources; `qnp compile`)")
    args = ap.parse_args()
    if args.compiled:
        ensure_compiled(args.engine)
    if args.rounds < 1 or args.pairs < 1 or args.budget <= 0:
        ap.error("--rounds and --pairs must be >= 1 and --budget > 0")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in ORDER]
    if unknown:
        ap.error(f"--tools: unknown tool(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")

    for flag, tree in (("--engine", args.engine), ("--baseline-engine", args.baseline_engine)):
        if tree and not (Path(tree) / "qnp_engine" / "__init__.py").exists():
            ap.error(f"{flag}: no qnp_engine package in {tree}")
    if args.baseline_engine and "qnp" in tools:
        tools.insert(tools.index("qnp") + 1, "qnp-base")
    pythons = {t: (sys.executable if t.startswith("qnp") else str(venvs.ensure(venvs.PEERS[t]))) for t in tools}
    base = Scenario(pairs=args.pairs, wall_budget_s=args.budget, seed=args.seed)
    runs: list[dict] = []
    t_start = time.perf_counter()
    for rnd in range(args.rounds):
        for n in args.chains:
            sc = replace(base, nodes=n)
            for tool in tools:
                r = run_one(tool, pythons[tool], sc, rnd, args.baseline_engine, args.engine, args.compiled)
                runs.append(r)
                if "error" in r:
                    print(f"round {rnd} {r['tool']:10s} n={n}: ERROR {r['error']}", flush=True)
                else:
                    print(f"round {rnd} {r['tool']:10s} n={n}: {r['delivered']:5d} pairs in {r['wall_s']:7.3f} s "
                          f"= {r['delivered'] / r['wall_s']:9.0f} /s, F={r['fidelity_mean']:.4f}, "
                          f"sim {r['sim_time_s']:.3f} s ({r['stopped_by']})", flush=True)
    summary = summarise(runs)
    checks = [] if args.no_check else fidelity_check(tools, pythons, args.chains, base, args.engine, args.compiled)
    print(f"\n{len(runs) + len(checks)} runs in {time.perf_counter() - t_start:.0f} s\n")
    print("\n".join(tables(summary, args.chains, base)))
    if checks:
        print("\n" + "\n".join(check_table(checks, summary, base)))
    profiles: dict[int, str] = {}
    if args.profile:
        import profile_qnp

        # py-spy sees Python frames only: profile the pure-Python engine even when the compiled one ran.
        for n in sorted({min(args.chains), max(args.chains)}):
            profiles[n] = profile_qnp.with_py_spy(replace(base, nodes=n, pairs=5000, wall_budget_s=600),
                                                  args.engine)
            print("\n" + profiles[n])
    if not args.no_write:
        write_results(Path(args.out), summary, runs, checks, args.chains, base, pythons, sys.argv[1:],
                      args.baseline_engine, profiles, args.engine)
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()

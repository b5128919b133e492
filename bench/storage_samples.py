"""Benchmark: what writing live metric samples costs a run, and how fast a run's latest snapshot reads.

1. Slowdown: the same scenario runs in this process without storage (baseline: ``for snap in sim.stream()``)
   and with the worker's writer (``RunRecorder.record(snap.rows())`` into a fresh SQLite file in WAL mode), in
   alternating order, several times. The slowdown (target: < 1.10) is the ratio of the medians of the process
   CPU time, which other programs on a shared machine disturb far less than wall time; the ratio of the best
   wall times is shown next to it. The writer runs with the worker's default flush interval (0.25 s) and, for
   reference, with a commit after every slice.
2. Latest snapshot: a run with 10^5 samples (1,000 steps x 100 numbers) next to another run as big; the median
   time of ``latest_snapshot`` (target: < 50 ms), with ``time_series`` of one metric for reference.

Usage: ``python bench/storage_samples.py [--repeats 5] [--quick]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qnp_engine.model import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from qnp_engine.sim import Simulation  # noqa: E402
from storage import db  # noqa: E402
from storage.models import RunStatus  # noqa: E402
from storage.recorder import RunRecorder  # noqa: E402
from storage.runs import submit_entanglement  # noqa: E402
from storage.samples import latest_snapshot, time_series  # noqa: E402


def _scenario(sample: str, max_time_s: float | None) -> Scenario:
    """A shipped sample; with ``max_time_s`` its requests never run out of pairs, so all 100 slices run."""
    data = yaml.safe_load((ROOT / "sample_topologies" / f"{sample}.yaml").read_text())
    if max_time_s is not None:
        for request in data.get("requests", []):
            request["pairs"] = 10**9
        data["simulation"]["max_time_s"] = max_time_s
    return scenario_from_dict(data)


Timing = tuple[float, float]  # (CPU seconds of this process, wall seconds)


def run_plain(scenario: Scenario) -> tuple[Timing, int]:
    c0, t0 = time.process_time(), time.perf_counter()
    slices = sum(1 for _ in Simulation(scenario).stream())
    return (time.process_time() - c0, time.perf_counter() - t0), slices


def run_recorded(scenario: Scenario, engine, flush_interval_s: float) -> tuple[Timing, Timing, int]:
    """Returns (whole run, time inside the writer alone, rows written)."""
    run = submit_entanglement(engine, scenario)  # outside the timing: the app does this before the worker starts
    c0, t0 = time.process_time(), time.perf_counter()
    store_cpu = store_wall = 0.0

    def timed(call, *args, **kwargs):
        nonlocal store_cpu, store_wall
        c, t = time.process_time(), time.perf_counter()
        out = call(*args, **kwargs)
        store_cpu += time.process_time() - c
        store_wall += time.perf_counter() - t
        return out

    recorder = RunRecorder(engine, run.id, flush_interval_s=flush_interval_s)
    timed(recorder.claim)
    sim = Simulation(scenario)
    for step, snap in enumerate(sim.stream()):
        # snap.rows() is timed too: a run without storage never builds the rows.
        timed(lambda s=snap, i=step: recorder.record(i, s.sim_time_s, s.rows(), s.progress))
    summary = sim.result().to_dict()
    timed(recorder.finish, RunStatus.DONE, summary=summary)
    whole = (time.process_time() - c0, time.perf_counter() - t0)
    return whole, (store_cpu, store_wall), recorder.rows_written


def _median(values) -> float:
    return statistics.median(list(values))


def slowdown(cases: list[tuple[str, Scenario]], repeats: int, folder: Path) -> None:
    print("1. Slowdown of a run that writes its metric samples (same process, runs alternating, medians)")
    print("   writer share: the run's time inside the writer (claim, record incl. snap.rows(), flush, finish),")
    print("   as a ratio (run) / (run - writer); A/B: CPU time of the run with writer / without, more noisy.")
    print(f"   {'scenario':<24}{'slices':>7}{'rows':>7}{'plain CPU s':>12} |{'flush 0.25 s: share':>20}"
          f"{'A/B CPU':>9}{'A/B wall':>9} |{'every slice: share':>19}{'A/B CPU':>9}{'A/B wall':>9}")
    for label, scenario in cases:
        engine = db.open_database(db.sqlite_url(folder / f"bench-{label}.db"))
        run_plain(scenario)  # warm-up: imports, first-call caches
        plain: list[Timing] = []
        results: dict[float, list[tuple[Timing, Timing]]] = {0.25: [], 0.0: []}
        rows = slices = 0
        for _ in range(repeats):
            t, slices = run_plain(scenario)
            plain.append(t)
            for interval, out in results.items():
                whole, store, n = run_recorded(scenario, engine, interval)
                out.append((whole, store))
                if interval:
                    rows = n
        plain_cpu, plain_wall = _median(t[0] for t in plain), _median(t[1] for t in plain)
        cells = []
        for out in results.values():
            share = _median(w[1] / (w[1] - s[1]) for w, s in out)  # wall, within each run
            cells.append(f"{share:>{20 if not cells else 19}.3f}{_median(w[0] for w, _ in out) / plain_cpu:>9.3f}"
                         f"{_median(w[1] for w, _ in out) / plain_wall:>9.3f}")
        print(f"   {label:<24}{slices:>7}{rows:>7}{plain_cpu:>12.3f} |{cells[0]} |{cells[1]}")
        engine.dispose()


def latest_read(folder: Path, steps: int, per_step: int, calls: int) -> None:
    engine = db.open_database(db.sqlite_url(folder / "bench-latest.db"))
    text = (ROOT / "sample_topologies" / "chain-3.yaml").read_text()
    ids = []
    for _ in range(2):  # two runs of equal size: the query must not scan the other one
        run = submit_entanglement(engine, text)
        rec = RunRecorder(engine, run.id, flush_interval_s=3600)
        rec.claim()
        for step in range(steps):
            rows = [(f"link:{i // 10}", f"m{i % 10}", float(step * i)) for i in range(per_step)]
            rec.record(step, step * 0.01, rows, step / steps, force=(step % 100 == 99))
        rec.finish(RunStatus.DONE)
        ids.append(run.id)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    target = ids[0]
    latest_snapshot(engine, target)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        snap = latest_snapshot(engine, target)
        times.append(time.perf_counter() - t0)
    assert snap.step == steps - 1 and len(snap.values) == per_step
    series_times = []
    for _ in range(max(calls // 5, 3)):
        t0 = time.perf_counter()
        points = time_series(engine, target, "link:3", "m7")
        series_times.append(time.perf_counter() - t0)
    assert len(points) == steps
    print(f"2. Latest snapshot of a run with {steps * per_step:,} samples ({steps} steps x {per_step}), "
          f"table holding {2 * steps * per_step:,}")
    print(f"   latest_snapshot: median {statistics.median(times) * 1e3:.2f} ms, max {max(times) * 1e3:.2f} ms "
          f"over {calls} calls (target < 50 ms)")
    print(f"   time_series of one metric ({steps} points): median {statistics.median(series_times) * 1e3:.2f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test of the script)")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    cases = [
        ("chain-3 (100 slices)", _scenario("chain-3", 1.0 * scale)),
        ("dumbbell (100 slices)", _scenario("dumbbell", 0.25 * scale)),
        ("random-100 as shipped", load_scenario(ROOT / "sample_topologies" / "random-100.yaml")),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        slowdown(cases, 1 if args.quick else args.repeats, Path(tmp))
        latest_read(Path(tmp), 1000, 100, 20 if args.quick else 100)


if __name__ == "__main__":
    main()
